// The contract badge as SVG and as shields.io endpoint JSON.
#include "provkit/reports/badge.hpp"

#include <nlohmann/json.hpp>

#include "text.hpp"

namespace provkit::reports {
namespace {

constexpr std::string_view kDot = " \xC2\xB7 ";  // U+00B7 middle dot

// Approximate advance of a character in 11px Verdana, the badge font.
double CharWidth(unsigned char c) {
  if (c >= '0' && c <= '9') return 7.0;
  switch (c) {
    case ' ':
      return 3.9;
    case '/':
      return 4.9;
    case '.':
    case ',':
    case ':':
    case ';':
    case '!':
    case '|':
    case '\'':
      return 3.6;
    case 'i':
    case 'l':
    case 'j':
      return 3.1;
    case 'f':
    case 't':
    case 'r':
      return 4.6;
    case 'M':
    case 'W':
      return 9.8;
    case 'm':
    case 'w':
      return 9.4;
    default:
      break;
  }
  if (c >= 'A' && c <= 'Z') return 7.6;
  if (c >= 'a' && c <= 'z') return 6.7;
  return 7.0;
}

int TextWidth(std::string_view text) {
  double width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: counted with its lead byte
    width += c < 0x80 ? CharWidth(c) : (c == 0xC2 ? 4.5 : 8.0);
  }
  return static_cast<int>(width + 0.5);
}

}  // namespace

Badge MakeBadge(const Summary& summary, std::string label) {
  Badge badge;
  badge.label = std::move(label);
  badge.message =
      "MUST " + std::to_string(summary.must_passed) + "/" + std::to_string(summary.must_total);
  if (summary.should_total > 0) {
    badge.message += std::string(kDot) + "SHOULD " + std::to_string(summary.should_passed) + "/" +
                     std::to_string(summary.should_total);
  }
  if (summary.Incomplete()) badge.message += std::string(kDot) + "incomplete";
  if (!summary.stale.empty()) badge.message += std::string(kDot) + "stale baseline";
  switch (summary.Worst()) {
    case Verdict::kPass:
    case Verdict::kInfo:
      badge.color_name = "brightgreen";
      badge.color_hex = "#4c1";
      break;
    case Verdict::kSkip:
      badge.color_name = "green";
      badge.color_hex = "#97ca00";
      break;
    case Verdict::kNonStrict:
      badge.color_name = "yellow";
      badge.color_hex = "#dfb317";
      break;
    case Verdict::kFail:
    case Verdict::kError:
      badge.color_name = "red";
      badge.color_hex = "#e05d44";
      break;
  }
  return badge;
}

std::string RenderBadgeSvg(const Badge& badge) {
  const std::string label = text::EscapeMarkup(text::OneLine(badge.label));
  const std::string message = text::EscapeMarkup(text::OneLine(badge.message));
  const int label_width = TextWidth(text::OneLine(badge.label)) + 12;
  const int message_width = TextWidth(text::OneLine(badge.message)) + 12;
  const int width = label_width + message_width;
  const std::string w = std::to_string(width);
  const std::string lw = std::to_string(label_width);
  const std::string mw = std::to_string(message_width);
  const std::string label_x = text::FormatNumber(label_width / 2.0, 1);
  const std::string message_x = text::FormatNumber(label_width + message_width / 2.0, 1);
  std::string out;
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
         "\" height=\"20\" role=\"img\" aria-label=\"" + label + ": " + message + "\">\n";
  out += "<title>" + label + ": " + message + "</title>\n";
  out +=
      "<linearGradient id=\"shade\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" "
      "stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\n";
  out += "<clipPath id=\"round\"><rect width=\"" + w +
         "\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\n";
  out += "<g clip-path=\"url(#round)\"><rect width=\"" + lw +
         "\" height=\"20\" fill=\"#555\"/><rect x=\"" + lw + "\" width=\"" + mw +
         "\" height=\"20\" fill=\"" + badge.color_hex + "\"/><rect width=\"" + w +
         "\" height=\"20\" fill=\"url(#shade)\"/></g>\n";
  out +=
      "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu "
      "Sans,sans-serif\" "
      "font-size=\"11\">\n";
  out += "<text x=\"" + label_x + "\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">" + label +
         "</text><text x=\"" + label_x + "\" y=\"14\">" + label + "</text>\n";
  out += "<text x=\"" + message_x + "\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">" + message +
         "</text><text x=\"" + message_x + "\" y=\"14\">" + message + "</text>\n";
  out += "</g>\n</svg>\n";
  return out;
}

std::string RenderBadgeJson(const Badge& badge) {
  nlohmann::ordered_json json = {{"schemaVersion", 1},
                                 {"label", text::ValidUtf8(badge.label)},
                                 {"message", text::ValidUtf8(badge.message)},
                                 {"color", badge.color_name}};
  return json.dump() + "\n";
}

}  // namespace provkit::reports
