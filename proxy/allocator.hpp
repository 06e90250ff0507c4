// Which memory allocator the process runs on, for `tandem version` and the bench's header.
#pragma once

#include <string>

namespace tandem::proxy {

// "mimalloc 2.0.9" when the build links mimalloc (TANDEM_MIMALLOC, the default outside the
// sanitizer and fuzz builds), otherwise "glibc malloc".
std::string allocator_name();

}  // namespace tandem::proxy
