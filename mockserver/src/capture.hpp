// Capture: the journal entry of a request as cpp-httplib parsed it.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>

#include "provkit/mockserver/journal.hpp"

namespace provkit::mock {

/// The journal entry of `request` on connection `connection_id` (0: unknown), its body cut to
/// `body_limit` bytes, stamped now. Sequence and status are left for the journal.
JournalEntry Capture(const httplib::Request& request, std::uint64_t connection_id,
                     std::size_t body_limit);

/// The bytes of every header name and value of `request` (cpp-httplib's peer-address entries too).
std::size_t HeaderBytes(const httplib::Request& request);

}  // namespace provkit::mock
