// A C++ program with a model linked in (tritc --emit=static-lib -o
// libstory.a): opens it through trit.hpp and prints its vocabulary size.
// Built by test/tools/tritc-static-lib.test.
#include "story.h"
#include "trit/trit.hpp"

#include <cstdio>

int main() {
  std::string error;
  auto model = trit::Model::openLinked(&trit_model_story, &error);
  if (!model) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 1;
  }
  std::printf("vocab %lld\n", static_cast<long long>(model->vocabSize()));
  return 0;
}
