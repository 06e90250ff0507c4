// The Release build links mimalloc (Debian's libmimalloc2.0), which replaces malloc and free for
// the whole process. Why: the proxy's hot path still allocates ~35 times per mirrored write
// (coroutine frames, most over 1 KiB, which Asio's per-thread cache does not keep; see
// BENCHMARKS.md, issue 17), and glibc's _int_malloc/_int_free/unlink_chunk took ~18 % of the
// proxy's CPU samples; mimalloc's thread-local size classes serve the same calls for a fraction.
// Calling mi_version() here also keeps the linker from dropping the library as unneeded.
#include "proxy/allocator.hpp"

#ifdef TANDEM_MIMALLOC
#include <mimalloc.h>
#endif

namespace tandem::proxy {

std::string allocator_name() {
#ifdef TANDEM_MIMALLOC
  const int v = mi_version();  // e.g. 209 for 2.0.9
  return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
         std::to_string(v % 10);
#else
  return "glibc malloc";
#endif
}

}  // namespace tandem::proxy
