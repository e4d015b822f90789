// Text helpers for the renderers: UTF-8 repair, one-line, excerpts, HTML/XML/Markdown escaping.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provkit::reports::text {

/// `input` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view input);

/// `input` as one line: line breaks, tabs and other control characters become
/// spaces, runs of spaces collapse, ends are trimmed.
std::string OneLine(std::string_view input);

/// At most `max_bytes` of `input`, cut on a UTF-8 boundary, with
/// "… (N more bytes)" appended when something was cut.
std::string Excerpt(std::string_view input, std::size_t max_bytes);

/// Escapes & < > " ' as entities and replaces control characters other than
/// tab and line breaks (and invalid UTF-8) by U+FFFD: safe in HTML and XML
/// text and quoted attribute values.
std::string EscapeMarkup(std::string_view input);

/// OneLine(input) escaped for GitHub-flavoured Markdown inline text and table
/// cells: Markdown punctuation is backslash-escaped, < > & become entities,
/// so the text renders literally and cannot open links, code, HTML or cells.
std::string EscapeMarkdown(std::string_view input);

/// Whether `url` may be a link target in a report: an http:// or https://
/// URL (scheme in any case) or a relative reference (no scheme, not starting
/// with "//"), without a #fragment, whitespace or control characters.
bool IsLinkableBaseUrl(std::string_view url);

/// `url` with every byte outside [A-Za-z0-9-._~:/?#@!$&+,;=%] percent-encoded,
/// so it cannot end a Markdown link destination, a table cell or an HTML
/// attribute early: ( ) [ ] < > " ' ` | \ spaces and non-ASCII are encoded.
std::string EncodeUrl(std::string_view url);

/// A number of milliseconds for people: "0.4 ms", "12 ms", "1.25 s".
std::string FormatMs(double milliseconds);

/// `value` with at most `decimals` decimals, trailing zeros removed.
std::string FormatNumber(double value, int decimals);

}  // namespace provkit::reports::text
