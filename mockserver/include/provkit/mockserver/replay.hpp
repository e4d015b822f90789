// Replay: a mock server that answers from a cassette of recorded exchanges.
#pragma once

#include "provkit/mockserver/cassette.hpp"

namespace provkit::mock {

/// How a Server answers from recorded exchanges (ServerOptions::replay).
///
/// Matching (docs/mockserver.md, "Replay"): a request matches a recording with the same method,
/// path and query whose body agrees on `model`, the text of the last message and `stream`
/// (each absent counts as absent; a body that is not JSON must be byte-equal). Of the matching
/// recordings the first not yet used answers, and once all were used the last one again, so a
/// recorded sequence (a listing before, during and after a load) replays in order. Scenarios
/// apply on top: a hang or a loading state still wins, a recorded stream can be cut or broken.
struct ReplayOptions {
  Cassette cassette;
  /// An unmatched request answers 404 naming the closest recording and how it differs; false:
  /// the mock's own answer.
  bool strict = false;
  /// Recorded chunk offsets are divided by it: 1 as recorded, 2 twice as fast, 0 no waits.
  /// Chunks recorded without offsets are paced by the server's StreamTiming.
  double speed = 1.0;
};

}  // namespace provkit::mock
