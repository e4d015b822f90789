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

/// cpp-httplib 0.11 reads the body of POST, PUT, PATCH and DELETE only: the body of a GET, HEAD or
/// OPTIONS stays unread, so the server would neither see it nor stay in step with the client
/// (the unread bytes are parsed as the next request on the connection). And it parses the body of
/// a form itself: an application/x-www-form-urlencoded body over 8 KiB answers a bare 413 (its
/// compiled-in limit), a multipart/form-data body never reaches Request::body. Installs a
/// pre-routing hook that has cpp-httplib read every body into Request::body (Content-Length or
/// chunked; bounded by the payload limit, 413 beyond it), whatever the method and content type,
/// by presenting the request as a POST of application/octet-stream while its body is read.
void ReadEveryBody(httplib::Server& server);
/// Gives the request back its real method and Content-Type; every handler calls it first.
void RestoreRequest(const httplib::Request& request);
/// Whether the request the calling thread answers reached its handler (RestoreRequest ran since
/// the pre-routing hook). Meaningful in an error handler for a status set while the body was read
/// (413): false there means cpp-httplib answered without the handler.
bool ReachedHandler();

/// The bytes of every header name and value of `request` (cpp-httplib's peer-address entries too).
std::size_t HeaderBytes(const httplib::Request& request);

}  // namespace provkit::mock
