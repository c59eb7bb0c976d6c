//===- RunCommandTest.cpp - runCommand for a model built into a program ---===//
//
// trit-run's own use (a .trit path) is covered by test/tools/trit-run*.test;
// these cover what only standalone executables do: no model path, and the
// model opened through RunCommandOptions::openBuiltInModel.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/RunCommand.h"
#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/HostThreads.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Outcome {
  int status;
  std::string out, err;
  int opened;
};

/// Runs `args` as the command line of a program "fortunes" whose built-in
/// model fails to open.
Outcome runBuiltIn(std::vector<std::string> args) {
  args.insert(args.begin(), "fortunes");
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  int opened = 0;
  trit::RunCommandOptions options;
  options.programName = "fortunes";
  options.openBuiltInModel =
      [&](const std::string &) -> trit::Expected<std::unique_ptr<trit::Artifact>> {
    ++opened;
    return trit::makeError("the built-in model is missing");
  };
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int status = trit::runCommand(int(argv.size()), argv.data(), options);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  return {status, out, err, opened};
}

TEST(RunCommand, BuiltInModelHelpHasNoModelPath) {
  Outcome run = runBuiltIn({"--help"});
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.opened, 0);
  EXPECT_NE(run.out.find("Usage: fortunes [options]\n"), std::string::npos);
  EXPECT_NE(run.out.find("  fortunes --chat\n"), std::string::npos);
  EXPECT_EQ(run.out.find(".trit"), std::string::npos);
  EXPECT_NE(run.out.find("--prompt-tokens IDS"), std::string::npos);
}

TEST(RunCommand, BuiltInModelTakesNoPositionalArgument) {
  Outcome run = runBuiltIn({"model.trit", "-p", "Hi"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.opened, 0);
  EXPECT_EQ(run.err, "fortunes: error: unexpected argument 'model.trit': "
                     "fortunes has its model built in\n");
}

TEST(RunCommand, BuiltInModelIsOpenedAfterTheOptionsParse) {
  Outcome bad = runBuiltIn({"-n=many"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.opened, 0);
  EXPECT_EQ(bad.err, "fortunes: error: -n: 'many' is not an integer\n");

  Outcome run = runBuiltIn({"-p", "Hi", "-n", "4"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.opened, 1);
  EXPECT_EQ(run.err, "fortunes: error: the built-in model is missing\n");
}

TEST(RunCommand, PromptFileIsReadBeforeTheModelOpens) {
  Outcome run = runBuiltIn({"-f", "/nonexistent/prompt.txt"});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.opened, 0);
  EXPECT_EQ(run.err, "fortunes: error: cannot read the prompt file "
                     "'/nonexistent/prompt.txt': No such file or directory\n");
}

TEST(RunCommand, HelpGivesTheDefaultThreads) {
  Outcome run = runBuiltIn({"--help"});
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.out.find("-f FILE"), std::string::npos);
  // The help is wrapped; the count follows "here".
  std::string text = run.out;
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  std::string expected = "here " + std::to_string(trit::defaultThreadCount()) +
                         ": " + trit::detectHostThreads().describe();
  std::string squeezed;
  for (char c : text)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' '))
      squeezed += c;
  EXPECT_NE(squeezed.find(expected), std::string::npos) << run.out;
}

} // namespace
