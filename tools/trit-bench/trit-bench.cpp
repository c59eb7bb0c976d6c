//===- trit-bench.cpp - prompt and generation speed of a compiled model ---===//
//
// Like llama-bench: prompt processing (pp) and generation (tg) tokens/s with
// their spread over repetitions, per thread count, plus load time and peak
// RSS. With --roofline it also measures this machine's limits in the same
// run and prints each figure as a fraction of its limit: generation reads
// every weight once per token (bytes/token x tok/s / read bandwidth);
// prompt processing is multiply-accumulates (MACs/token x tok/s / the int8
// peak of the cores used).
//
//===----------------------------------------------------------------------===//

#include "BusyLoad.h"
#include "Roofline.h"

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/HostThreads.h"
#include "trit/layouts.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <random>
#include <sys/resource.h>

using namespace llvm;

namespace {
cl::OptionCategory category("trit-bench options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.trit>"), cl::cat(category));
cl::opt<int> promptTokens("p", cl::desc("Prompt tokens (0: skip; default 128)"),
                          cl::init(128), cl::cat(category));
cl::opt<int> genTokens("n", cl::desc("Generated tokens (0: skip; default 64)"),
                       cl::init(64), cl::cat(category));
cl::list<int> threadCounts("t", cl::desc("Thread counts"), cl::CommaSeparated,
                           cl::cat(category));
cl::opt<int> repeats("r", cl::desc("Repetitions (default 5)"), cl::init(5),
                     cl::cat(category));
cl::list<int> batchSizes(
    "b",
    cl::desc("Also generate for B sequences at once, one batched step per "
             "token of each (continuous batching, as trit-server does): rows "
             "tg<n>xB give the aggregate t/s"),
    cl::CommaSeparated, cl::value_desc("B,..."), cl::cat(category));
cl::opt<bool> json("json", cl::desc("Print JSON instead of a table"),
                   cl::cat(category));
cl::opt<int> busy("busy",
                  cl::desc("Run next to N threads spinning on arithmetic in "
                           "another process (default 0: none)"),
                  cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<bool> roofline("roofline",
                       cl::desc("Measure read bandwidth and int8 peak too "
                                "(for a tritc --prompt-lut model also the "
                                "lookup-table step's, its prompts' limit), "
                                "and print fractions of them"),
                       cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "trit-bench") << message << "\n";
  return 1;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stat {
  double mean = 0, stddev = 0;
};
Stat stats(const std::vector<double> &v) {
  Stat s;
  for (double x : v)
    s.mean += x;
  s.mean /= v.size();
  for (double x : v)
    s.stddev += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(s.stddev / (v.size() - 1)) : 0;
  return s;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  // --help says what the default is on this machine.
  int defaultThreads = trit::defaultThreadCount();
  std::string threadsHelp =
      "Thread counts; 0 is the default count (the CPUs this process may use, "
      "at most one per physical core; here " +
      std::to_string(defaultThreads) + ": " +
      trit::detectHostThreads().describe() +
      "). Default: 1 and the default count, to show the scaling";
  threadCounts.setDescription(threadsHelp);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trit-bench: prompt and generation speed of a compiled model\n\n"
      "  trit-bench model.trit -p 128 -n 64 -t 1,2 -r 5 --roofline\n");
  if (promptTokens < 0 || genTokens < 0 || repeats < 1)
    return fail("-p and -n must be 0 or more, -r at least 1");
  if (busy < 0 || busy > 1024)
    return fail("--busy must be between 0 and 1024");
  std::vector<int> threads(threadCounts.begin(), threadCounts.end());
  if (threads.empty())
    threads = defaultThreads > 1 ? std::vector<int>{1, 0} : std::vector<int>{1};
  for (int &t : threads) {
    if (t < 0 || t > 1024)
      return fail("thread count " + Twine(t) +
                  " is not between 0 (the "
                  "default) and 1024");
    if (t == 0)
      t = defaultThreads;
  }

  // Forked now, while this process has no other thread. Every way out of
  // main ends it (the destructor; the child also dies with this process).
  trit::bench::BusyLoad busyLoad;
  if (busy > 0) {
    outs().flush();
    if (std::string error = busyLoad.start(busy); !error.empty())
      return fail(error);
  }

  double t0 = now();
  auto artifact = trit::Artifact::open(input);
  if (!artifact)
    return fail(toString(artifact.takeError()));
  double loadSeconds = now() - t0;
  const trit::CompiledModelInfo &info = (*artifact)->getInfo();
  if (promptTokens + genTokens > info.maxContext)
    return fail("-p + -n = " + Twine(promptTokens + genTokens) +
                " exceeds the model's context of " + Twine(info.maxContext));

  // What one token costs: every weight is read once per generated token (the
  // tied LM head reads the whole embedding); a ternary weight is one MAC.
  // With a compact head (a copy of the table in a head-copy layout:
  // q8_rows, q4_blocks, ternary_rows_*) the f16 table is only read for the
  // embedding, one row per token, and for a reranking head's exact rows.
  const auto *model = (*artifact)->getHeader().model();
  auto getLayout = [](const trit::artifact::Weight *w) {
    trit_weight_layout layout = TRIT_WEIGHT_LAYOUT_COUNT;
    if (w->layout())
      trit_weight_layout_from_name(w->layout()->c_str(), &layout);
    return layout;
  };
  auto getRole = [](trit_weight_layout layout) {
    // An unknown layout (a newer compiler's) counts as bytes only.
    return layout == TRIT_WEIGHT_LAYOUT_COUNT ? TRIT_WEIGHT_ROLE_FLOAT
                                              : trit_weight_layout_role(layout);
  };
  // How the code was compiled (the lowering's non-default options): a reranking
  // head recomputes rerank-candidates rows of its exact table per token;
  // prompts through lookup tables are bound by the table steps' rate.
  llvm::StringMap<std::string> compileOptions;
  std::string compiledWith;
  if (const auto *options = (*artifact)->getHeader().lowering_options())
    for (const auto *option : *options) {
      auto [name, value] =
          llvm::StringRef(option->c_str(), option->size()).split('=');
      compileOptions[name] = value.str();
      compiledWith += (compiledWith.empty() ? "--" : " --") + option->str();
    }
  bool promptLut = compileOptions.lookup("prompt-lut") == "true";
  // A reranking head (a ternary_rows_* copy, asked for or chosen by
  // lm-head=auto) recomputes its candidates; the rows its check adds vary
  // per token and are not counted.
  int64_t rerankRows = 0;
  for (const auto *w : *(*artifact)->getHeader().weights())
    if (trit_is_ternary_rows_layout(getLayout(w))) {
      rerankRows = TRIT_RERANK_DEFAULT_CANDIDATES;
      if (compileOptions.lookup("lm-head") != "rerank")
        compiledWith +=
            compiledWith.empty() ? "(lm-head=auto: rerank)"
                                 : " (lm-head=auto: rerank)";
      break;
    }
  if (compileOptions.count("rerank-candidates"))
    llvm::StringRef(compileOptions.lookup("rerank-candidates"))
        .getAsInteger(10, rerankRows);
  // Artifacts of earlier compilers record these in fields of their own.
  if (!(*artifact)->getHeader().lowering_options()) {
    promptLut = (*artifact)->getHeader().prompt_lut();
    rerankRows = 0;
    for (const auto *w : *(*artifact)->getHeader().weights())
      rerankRows = std::max<int64_t>(rerankRows, w->rerank_rows());
  }
  double weightBytes = 0, ternaryWeights = 0;
  bool compactHead = false;
  // The exact table of a reranking head: the float weight that has a
  // compact copy of the same name.
  llvm::StringSet<> copiedTables;
  for (const auto *w : *(*artifact)->getHeader().weights()) {
    bool copy = getRole(getLayout(w)) == TRIT_WEIGHT_ROLE_HEAD_COPY;
    compactHead |= copy;
    if (copy && w->name())
      copiedTables.insert(w->name()->str());
  }
  for (const auto *w : *(*artifact)->getHeader().weights()) {
    trit_weight_layout layout = getLayout(w);
    if (trit_is_ternary_rows_layout(layout) && w->size() == uint64_t(trit_weight_layout_bytes(
                                        layout, model->vocab_size(),
                                        model->hidden_size())))
      // A reranking head's copy: its residual block is read only for the
      // rows the check flags.
      weightBytes += trit_ternary_rows_residual_offset(
          layout, model->vocab_size(), model->hidden_size());
    else if (!(compactHead && layout == TRIT_WEIGHT_LAYOUT_F16))
      weightBytes += w->size();
    else if (w->name() && model->vocab_size() > 0)
      weightBytes += double(w->size()) / double(model->vocab_size()) *
                     double(copiedTables.contains(w->name()->str())
                                ? rerankRows
                                : 0);
    // Artifacts written before the element count was recorded hold 0 there;
    // an I2_S weight is then 4 weights per byte.
    if (getRole(layout) != TRIT_WEIGHT_ROLE_TERNARY)
      continue;
    if (w->elements() != 0 || layout != TRIT_WEIGHT_LAYOUT_I2_S)
      ternaryWeights += double(w->elements());
    else
      ternaryWeights += w->size() * 4.0;
  }
  // The LM head runs for every generated token, but once per prompt.
  double headMacs = double(model->vocab_size()) * model->hidden_size();
  double macsPerToken = ternaryWeights + headMacs;
  double macsPerPromptToken =
      ternaryWeights + headMacs / std::max(promptTokens.getValue(), 1);

  int maxThreads = *std::max_element(threads.begin(), threads.end());

  struct Row {
    int threads;
    std::string test;
    Stat tps;
    double fraction;
    int batch = 1; // sequences per step: the weights are read once for all
  };
  int maxBatch = 1;
  for (int b : batchSizes) {
    if (b < 1 || b > 256)
      return fail("-b " + std::to_string(b) + ": batch sizes are 1 to 256");
    maxBatch = std::max(maxBatch, b);
  }
  std::vector<Row> rows;
  std::mt19937 rng(1);
  for (int t : threads) {
    auto exec = trit::Executor::create(info, (*artifact)->getWeights(),
                                       std::max(promptTokens + genTokens, 2),
                                       t, maxBatch);
    if (!exec)
      return fail(toString(exec.takeError()));
    std::vector<int32_t> prompt(std::max(promptTokens.getValue(), 1));
    for (int32_t &id : prompt)
      id = int32_t(rng() % info.vocab);
    std::vector<float> logits(prompt.size() * info.vocab);
    // Warm-up: fault the weights in, start the threads.
    if (trit::Error e = (*exec)->prefill(
            prompt.data(), std::min<size_t>(prompt.size(), 8), 0,
            logits.data()))
      return fail(toString(std::move(e)));
    if (promptTokens > 0) {
      std::vector<double> speeds;
      for (int r = 0; r < repeats; ++r) {
        double s = now();
        // As llama-bench: the logits of the last position only.
        if (trit::Error e = (*exec)->prefill(prompt, 0, logits.data(), true))
          return fail(toString(std::move(e)));
        speeds.push_back(promptTokens / (now() - s));
      }
      rows.push_back({t, "pp" + std::to_string(promptTokens), stats(speeds), 0});
    }
    if (genTokens > 0) {
      std::vector<double> speeds;
      for (int r = 0; r < repeats; ++r) {
        double s = now();
        for (int i = 0; i < genTokens; ++i)
          if (trit::Error e = (*exec)->decode(prompt[i % prompt.size()], i,
                                              logits.data()))
            return fail(toString(std::move(e)));
        speeds.push_back(genTokens / (now() - s));
      }
      rows.push_back({t, "tg" + std::to_string(genTokens), stats(speeds), 0});
    }
    for (int b : batchSizes) {
      if (genTokens <= 0 || b == 1)
        continue;
      std::vector<double> speeds;
      std::vector<trit::DecodeRow> step(b);
      std::vector<float> out(size_t(b) * info.vocab);
      for (int r = 0; r < repeats; ++r) {
        double s = now();
        for (int i = 0; i < genTokens; ++i) {
          for (int k = 0; k < b; ++k)
            step[k] = {k, prompt[(i + 7 * k) % prompt.size()], i};
          if (trit::Error e = (*exec)->decodeBatch(step.data(), b, out.data()))
            return fail(toString(std::move(e)));
        }
        speeds.push_back(double(b) * genTokens / (now() - s));
      }
      rows.push_back({t,
                      "tg" + std::to_string(genTokens) + "x" +
                          std::to_string(b),
                      stats(speeds), 0, b});
    }
  }
  // Peak RSS before the roofline's 1 GB buffer.
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double peakRssMb = usage.ru_maxrss / 1024.0;

  // The machine's limits, measured after the model runs (same machine
  // state), and each figure as a fraction of its limit.
  double bandwidth1 = 0, bandwidthN = 0, vnni = 0, avx2 = 0, lut = 0;
  if (roofline) {
    const size_t buffer = size_t(1) << 30;
    bandwidth1 = trit::bench::measureReadBandwidth(buffer, 1, 3);
    bandwidthN = maxThreads == 1
                     ? bandwidth1
                     : trit::bench::measureReadBandwidth(buffer, maxThreads, 3);
    vnni = trit::bench::measureVnniPeak();
    avx2 = trit::bench::measureAvx2Peak();
    if (promptLut)
      lut = trit::bench::measureLutPeak();
    // The limit of the code the model was compiled to, not of the host: an
    // AVX2 build on an AVX-512 host is measured against vpmaddubsw.
    bool vnniCode = false;
    if (const auto *features =
            (*artifact)->getHeader().target()->required_features())
      for (const auto *feature : *features)
        vnniCode |= feature->str() == "avx512vnni";
    double peakPerCore = lut > 0 ? lut : vnniCode && vnni > 0 ? vnni : avx2;
    for (Row &r : rows) {
      double bw = r.threads == 1 ? bandwidth1
                  : r.threads == maxThreads ? bandwidthN
                                            : 0.0;
      if (r.test.rfind("tg", 0) == 0)
        r.fraction =
            bw > 0 ? r.tps.mean / r.batch * weightBytes / (bw * 1e9) : 0;
      else
        r.fraction = peakPerCore > 0 ? r.tps.mean * macsPerPromptToken /
                                           (peakPerCore * 1e9 * r.threads)
                                     : 0;
    }
  }

  std::string target = (*artifact)->getHeader().target()->cpu()->str();
  if (json) {
    outs() << "{\n  \"model\": \"" << input << "\", \"target\": \"" << target
           << "\",\n  \"weight_bytes\": " << format("%.0f", weightBytes)
           << ", \"macs_per_token\": " << format("%.0f", macsPerToken)
           << ",\n  \"compiled_with\": \"" << compiledWith << "\""
           << ",\n  \"load_seconds\": " << format("%.4f", loadSeconds)
           << ", \"peak_rss_mb\": " << format("%.1f", peakRssMb)
           << ",\n  \"busy_threads\": " << busy.getValue();
    if (roofline) {
      outs() << ",\n  \"read_gbps\": {\"1\": " << format("%.2f", bandwidth1)
             << ", \"" << maxThreads << "\": " << format("%.2f", bandwidthN)
             << "}, \"int8_gmacs_per_core\": {\"vnni\": "
             << format("%.1f", vnni) << ", \"avx2\": " << format("%.1f", avx2);
      if (promptLut)
        outs() << ", \"lut\": " << format("%.1f", lut);
      outs() << "}";
    }
    outs() << ",\n  \"results\": [\n";
    for (size_t i = 0; i < rows.size(); ++i)
      outs() << format("    {\"threads\": %d, \"test\": \"%s\", \"tps\": "
                       "%.3f, \"stddev\": %.3f, \"fraction_of_limit\": %.4f}%s\n",
                       rows[i].threads, rows[i].test.c_str(),
                       rows[i].tps.mean, rows[i].tps.stddev, rows[i].fraction,
                       i + 1 < rows.size() ? "," : "");
    outs() << "  ]\n}\n";
    return 0;
  }
  outs() << format("model: %s (target %s), %.1f MB of weights, %.2f GMAC "
                   "per token\n",
                   input.c_str(), target.c_str(), weightBytes / 1e6,
                   macsPerToken / 1e9);
  if (!compiledWith.empty())
    outs() << "compiled with: " << compiledWith << "\n";
  outs() << format("load: %.1f ms; peak RSS %.1f MB\n", loadSeconds * 1e3,
                   peakRssMb);
  if (busy > 0)
    outs() << format("busy: --busy %d, %d thread%s spinning in another "
                     "process\n",
                     busy.getValue(), busy.getValue(), busy == 1 ? "" : "s");
  if (roofline) {
    outs() << format("machine: read %.1f GB/s (1 thread)", bandwidth1);
    if (maxThreads > 1)
      outs() << format(", %.1f GB/s (%d threads)", bandwidthN, maxThreads);
    outs() << format("; int8 %.0f GMAC/s per core (VNNI), %.0f (AVX2)", vnni,
                     avx2);
    if (promptLut)
      outs() << format(", %.0f through lookup tables (the prompts' limit)",
                       lut);
    outs() << "\n";
  }
  int testWidth = 5;
  for (const Row &r : rows)
    testWidth = std::max<int>(testWidth, r.test.size());
  outs() << "\n| threads | " << left_justify("test", testWidth)
         << " |             t/s |" << (roofline ? " of limit |" : "")
         << "\n|--------:|:" << std::string(testWidth, '-')
         << "-|----------------:|"
         << (roofline ? "---------:|" : "") << "\n";
  for (const Row &r : rows) {
    outs() << format("| %7d | ", r.threads) << left_justify(r.test, testWidth)
           << format(" | %7.2f +- %5.2f |", r.tps.mean, r.tps.stddev);
    if (roofline)
    {
      if (r.fraction > 0)
        outs() << format(" %7.1f%% |", r.fraction * 100);
      else
        outs() << "        - |";
    }
    outs() << "\n";
  }
  return 0;
}
