// `tandem status [--admin URL] [--config FILE] [--watch] [--interval S] [--json]`: a running
// proxy's summary in a terminal (status_text.hpp), read from its admin port.
#pragma once

#include <span>
#include <string_view>

namespace tandem::proxy {

int status_command(std::span<const std::string_view> args);

}  // namespace tandem::proxy
