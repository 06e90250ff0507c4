// Boost.JSON compiled into the proxy library (Debian ships it header-only in
// libboost1.81-dev): this file is the one translation unit that holds its implementation.
#include <boost/json/src.hpp>
