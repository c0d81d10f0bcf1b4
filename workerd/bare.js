// The bench's latency floor: a worker that answers every request 202 with an
// empty body and does nothing else. No bundling; workerd/bare.capnp embeds it.
export default {
  fetch() {
    return new Response(null, { status: 202 });
  },
};
