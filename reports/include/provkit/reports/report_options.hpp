// Options shared by the human and CI reports (HTML, Markdown, JUnit).
#pragma once

#include <string>

#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// What a report shows besides the results it is given.
struct ReportOptions {
  /// Gate NON-STRICT verdicts too, as `provkit conform --strict` does.
  bool strict = false;
  /// When the report was made, shown in its header. Renderers print it as
  /// given; `provkit report` passes NowTimestamp(), tests a fixed string.
  std::string generated_at;
  /// The provkit that made the report (results carry their own version).
  std::string provkit_version = std::string(ProvkitVersion());
  std::string title = "provkit contract report";
  /// Markdown only: where the HTML report of the same RESULTS (given in the
  /// same order) is published. When set, each finding links to its anchor
  /// there ("<html_url>#e0-R9"). An http(s) URL or a relative reference
  /// without a #fragment; anything else (javascript:, data:) is not linked.
  std::string html_url;
};

}  // namespace provkit::reports
