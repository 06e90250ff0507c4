#include "proxy/backfill_control.hpp"

namespace tandem::proxy {
namespace {
backfill_factory& factory() {
  static backfill_factory f;
  return f;
}
}  // namespace

void set_backfill_factory(backfill_factory f) { factory() = std::move(f); }

std::shared_ptr<backfill_control> make_backfill_control(const config& c) {
  return factory() ? factory()(c) : nullptr;
}

}  // namespace tandem::proxy
