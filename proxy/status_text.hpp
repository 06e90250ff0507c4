// What `tandem status` prints: the admin port's answers (GET /api/v1/status, /api/v1/history,
// /api/v1/cutover) as a summary for a terminal. Pure (JSON in, text out), table-tested in
// tests/unit/proxy/status_text_test.cpp; the HTTP part is status_command.cpp.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace tandem::proxy {

// `status`: the /api/v1/status object; `history`: /api/v1/history (its last point gives the
// current rates; null when unavailable); `cutover`: /api/v1/cutover (null when the proxy has
// no gate or it was not asked for). `source`: where it was read from, for the first line.
std::string render_status_text(const boost::json::value& status, const boost::json::value& history,
                               const boost::json::value& cutover, const std::string& source);

}  // namespace tandem::proxy
