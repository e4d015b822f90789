// Replays fuzz inputs without libFuzzer: calls LLVMFuzzerTestOneInput once per file of the given
// directories (or files), so the seed corpora and found crashes run in every ctest under g++.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Regular files under `root` (recursively), sorted so runs are reproducible; dot files skipped.
std::vector<fs::path> InputsUnder(const fs::path& root) {
  std::vector<fs::path> inputs;
  if (fs::is_regular_file(root)) return {root};
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes, as libFuzzer passes: overreads show up under ASan.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path root(argv[i]);
    std::error_code error;
    if (!fs::exists(root, error)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 1;
    }
    std::size_t here = 0;
    for (const fs::path& input : InputsUnder(root)) {
      if (!ReplayFile(input)) return 1;
      ++here;
    }
    std::printf("replayed %zu inputs from %s\n", here, argv[i]);
    replayed += here;
  }
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no inputs found: a replay of nothing proves nothing\n");
    return 1;
  }
  return 0;
}
