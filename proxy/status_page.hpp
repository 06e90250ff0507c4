// The status page served at / on the admin port: one self-contained HTML document (inline CSS
// and script, no external fonts or scripts: the machines running a migration may be offline).
// Its source is proxy/status_page.html, embedded at build time.
#pragma once

#include <string_view>

namespace tandem::proxy {

std::string_view status_page_html() noexcept;

}  // namespace tandem::proxy
