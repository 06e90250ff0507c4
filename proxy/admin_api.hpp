// The admin port's requests and answers, without the HTTP transport (admin_http.cpp does the
// sockets): health, metrics, the status JSON, the routing flip and shadow reads, the status
// page, and the bearer token. Table-tested in tests/unit/proxy/admin_api_test.cpp.
#pragma once

#include "backfill/control.hpp"
#include "proxy/proxy_context.hpp"

#include <memory>
#include <string>

namespace tandem::proxy {

struct admin_request {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, e.g. "/api/v1/status" or "/?token=..."
  std::string authorization;  // the Authorization header, "" when absent
  std::string body;
};

struct admin_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class admin_api {
 public:
  explicit admin_api(std::shared_ptr<proxy_context> ctx,
                     std::shared_ptr<backfill::control> backfill = nullptr)
      : ctx_(std::move(ctx)), backfill_(std::move(backfill)) {}

  admin_response handle(const admin_request& r);

  // Makes `c` the primary: persisted first (routing.state_file), then switched for every
  // connection, then logged. Returns "" or why it was refused (the primary is then unchanged).
  std::string set_primary(cluster c, const std::string& reason);

  // The JSON of GET /api/v1/status.
  std::string status_json() const;

 private:
  admin_response routing_change(const admin_request& r);
  admin_response backfill_action(const admin_request& r);
  bool authorized(const admin_request& r) const;

  std::shared_ptr<proxy_context> ctx_;
  std::shared_ptr<backfill::control> backfill_;
};

}  // namespace tandem::proxy
