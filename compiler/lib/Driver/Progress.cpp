//===- Progress.cpp - the driver's status line on a terminal --------------===//

#include "DriverInternal.h"

#include "llvm/Support/raw_ostream.h"

using namespace trit::driver;

void Progress::setStage(const llvm::Twine &name) {
  if (!enabled)
    return;
  stage = name.str();
  percent = -1;
  draw();
}

void Progress::setFraction(uint64_t done, uint64_t total) {
  if (!enabled || total == 0)
    return;
  int now = int(done * 100 / total);
  // Redrawn only when the figure changes: thousands of weights, 101 lines.
  if (now == percent)
    return;
  percent = now;
  draw();
}

void Progress::draw() {
  // Back to the line's start and erase it, then the new status.
  llvm::errs() << "\r\x1b[K" << stage;
  if (percent >= 0)
    llvm::errs() << ' ' << percent << '%';
  shown = true;
}

void Progress::clear() {
  if (!shown)
    return;
  llvm::errs() << "\r\x1b[K";
  shown = false;
}
