// Named-event SSE streams shared by the Responses and Anthropic Messages dialects.
#include "named_events.hpp"

#include <algorithm>

namespace provkit::mock {
namespace {

using ordered = nlohmann::ordered_json;

/// The marker as a dumped JSON string, quotes included.
constexpr std::string_view kDumpedMarker = "\"\\u0001\"";

std::string Dump(const ordered& value) {
  return value.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

}  // namespace

HugeBody PadAt(const std::string& dumped, std::size_t bytes) {
  const std::size_t at = dumped.find(kDumpedMarker);
  if (at == std::string::npos) return HugeBody::Padded(dumped, 0, "");
  return HugeBody::Padded(dumped.substr(0, at) + '"', bytes,
                          '"' + dumped.substr(at + kDumpedMarker.size()));
}

std::string AnswerDigest(const ChatAnswer& answer) {
  const std::size_t dash = answer.id.rfind('-');
  return dash == std::string::npos ? answer.id : answer.id.substr(dash + 1);
}

bool NamedEventSource::PadContent(std::size_t bytes) {
  huge_ = true;
  pad_bytes_ = bytes;
  return true;
}

void NamedEventSource::AppendData(std::string& out, std::string_view payload) const {
  out += "event: ";
  out += DataEventName();
  out += "\ndata: ";
  out += payload;
  out += "\n\n";
}

void NamedEventSource::AppendEvent(std::string& out, std::string_view type, const ordered& data) {
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += Dump(data);
  out += "\n\n";
}

void NamedEventSource::Emit(std::string_view type, const ordered& data) {
  std::string head = "event: " + std::string(type) + "\ndata: ";
  std::string text = Dump(data);
  const std::size_t at = huge_ ? text.find(kDumpedMarker) : std::string::npos;
  if (at == std::string::npos) {
    pending_.push_back({head + text + "\n\n"});
    return;
  }
  pending_.push_back({head + text.substr(0, at) + '"', 0, false});
  pending_.push_back({{}, std::max<std::size_t>(pad_bytes_, 1), false});
  pending_.push_back({'"' + text.substr(at + kDumpedMarker.size()) + "\n\n"});
}

EventSource::Step NamedEventSource::Next(std::string& out) {
  if (pending_.empty() && !Produce()) return Step::kEnd;
  if (pending_.empty()) return Step::kEnd;
  Piece& piece = pending_.front();
  if (piece.pad > 0) {
    const std::size_t count = std::min(piece.pad, kPadPieceBytes);
    out.append(count, 'x');
    piece.pad -= count;
    if (piece.pad == 0) pending_.pop_front();
    return Step::kPartial;
  }
  out += piece.text;
  const bool ends_event = piece.ends_event;
  pending_.pop_front();
  return ends_event ? Step::kEvent : Step::kPartial;
}

}  // namespace provkit::mock
