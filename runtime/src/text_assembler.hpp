// Assembles a streamed text of unknown length without ever holding two copies of it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace provkit {

/// Collects the pieces of a text, then moves them into one std::string.
///
/// A std::string that grows by appending doubles its capacity, and each doubling
/// copies: the resident peak is twice the text at the last doubling, 2x in the worst
/// case (a 65 MiB answer peaks at 128 MiB). Here, texts up to kInlineBytes grow in a
/// plain string; longer ones go into fixed blocks mapped from the kernel, and Take()
/// copies them into a string reserved at the final size, unmapping each block as soon
/// as it is copied: the peak is the text plus one block. Not thread-safe.
class TextAssembler {
 public:
  static constexpr std::size_t kInlineBytes = std::size_t{1} << 20;
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

  TextAssembler() = default;
  ~TextAssembler();
  TextAssembler(const TextAssembler&) = delete;
  TextAssembler& operator=(const TextAssembler&) = delete;

  /// Throws std::bad_alloc when the kernel refuses a block.
  void Append(std::string_view piece);
  std::size_t size() const noexcept { return size_; }
  /// The whole text; leaves this empty.
  std::string Take();

 private:
  struct Block {
    char* data;
    std::size_t used;
  };
  void AppendToBlocks(std::string_view piece);
  void Release() noexcept;

  std::string inline_;
  std::vector<Block> blocks_;
  std::size_t size_ = 0;
};

}  // namespace provkit
