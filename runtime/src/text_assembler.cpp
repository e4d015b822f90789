// TextAssembler: a plain string for short texts, kernel-mapped blocks for long ones.
#include "text_assembler.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace provkit {

TextAssembler::~TextAssembler() { Release(); }

void TextAssembler::Append(std::string_view piece) {
  if (blocks_.empty()) {
    if (inline_.size() + piece.size() <= kInlineBytes) {
      inline_.append(piece);
      size_ += piece.size();
      return;
    }
    // The inline text moves into the first block, so that Take() keeps the order.
    const std::string head = std::exchange(inline_, std::string());
    size_ = 0;
    AppendToBlocks(head);
  }
  AppendToBlocks(piece);
}

void TextAssembler::AppendToBlocks(std::string_view piece) {
  size_ += piece.size();
  while (!piece.empty()) {
    if (blocks_.empty() || blocks_.back().used == kBlockBytes) {
      void* mapped =
          mmap(nullptr, kBlockBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mapped == MAP_FAILED) throw std::bad_alloc();
      blocks_.push_back(Block{static_cast<char*>(mapped), 0});
    }
    Block& block = blocks_.back();
    const std::size_t n = std::min(piece.size(), kBlockBytes - block.used);
    std::memcpy(block.data + block.used, piece.data(), n);
    block.used += n;
    piece.remove_prefix(n);
  }
}

std::string TextAssembler::Take() {
  std::string text;
  if (blocks_.empty()) {
    text = std::move(inline_);
  } else {
    text.reserve(size_);  // Pages are resident only once written.
    for (Block& block : blocks_) {
      text.append(block.data, block.used);
      munmap(block.data, kBlockBytes);
      block.data = nullptr;
    }
    blocks_.clear();
  }
  inline_ = std::string();
  size_ = 0;
  return text;
}

void TextAssembler::Release() noexcept {
  for (const Block& block : blocks_) {
    if (block.data != nullptr) munmap(block.data, kBlockBytes);
  }
  blocks_.clear();
}

}  // namespace provkit
