// The contract badge: "contract: MUST 25/25 · SHOULD 3/4" as an SVG or a shields.io endpoint JSON.
#pragma once

#include <string>

#include "provkit/reports/summary.hpp"

namespace provkit::reports {

/// What a badge says and its colour.
struct Badge {
  std::string label;
  std::string
      message;  ///< "MUST 25/25 · SHOULD 3/4", with "· incomplete" or "· stale baseline" when so.
  std::string color_name;  ///< shields.io name: brightgreen, green, yellow, red.
  std::string color_hex;   ///< The same as "#rrggbb" for the SVG.
};

/// The badge of `summary`, coloured by its worst verdict: PASS or INFO
/// brightgreen, SKIP green, NON-STRICT yellow, FAIL or ERROR (or an incomplete
/// run) red. The SHOULD part is left out when no clause has a strict part.
Badge MakeBadge(const Summary& summary, std::string label = "contract");

/// A flat 20-pixel-high SVG badge with a <title> for screen readers; text
/// escaped; no external fonts or images. Deterministic.
std::string RenderBadgeSvg(const Badge& badge);

/// {"schemaVersion":1,"label":...,"message":...,"color":...}: a shields.io endpoint.
std::string RenderBadgeJson(const Badge& badge);

}  // namespace provkit::reports
