// The campaigns of provkit-stress; each parses its own flags and returns the exit code.
#pragma once

namespace provkit::stress {

/// `provkit-stress load ...`: many keep-alive clients against an embedded mock server.
/// argv[0] is "load", its flags follow.
int RunLoad(int argc, char** argv);
/// `provkit-stress soak ...`: threads sharing Sessions while the mock's scenario flips.
/// argv[0] is "soak", its flags follow.
int RunSoak(int argc, char** argv);
/// `provkit-stress pressure ...`: the mock under many connections, streams, slow headers and
/// past its connection limit (issue 15). argv[0] is "pressure", its flags follow.
int RunPressure(int argc, char** argv);

}  // namespace provkit::stress
