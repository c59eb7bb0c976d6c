# lit configuration for Trit's FileCheck tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "TRIT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "unit", "corpus"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trit_obj_root, "test")

config.substitutions.append(("%trit_src_root", config.trit_src_root))
config.substitutions.append(("%trit_obj_root", config.trit_obj_root))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
config.substitutions.append(
    ("%gen-model", config.python_executable + " " +
     os.path.join(config.trit_src_root, "tools", "trit-gen-model.py")))

tools = ["trit-opt", "tritc", "trit-run", "trit-perplexity", "trit-bench", "trit-run-compiled", "trit-c-api-example"]
fuzzers = ["trit-fuzz-gguf", "trit-fuzz-safetensors", "trit-fuzz-hf-config",
           "trit-fuzz-artifact"]
if all(os.path.exists(os.path.join(config.trit_tools_dir, f)) for f in fuzzers):
    config.available_features.add("fuzzers")
    tools += fuzzers
if os.path.exists(os.path.join(config.trit_obj_root, "kernels", "neon-kernels-test")):
    config.available_features.add("aarch64-qemu")
# Host CPU features that tests running compiled code may need.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
except OSError:
    flags = []
for flag in ["avx512vbmi"]:
    if flag in flags:
        config.available_features.add("host-" + flag)
# Runtimes tritc --emit=exe|static-lib can link (runtime/standalone).
for arch in ["x86_64", "aarch64"]:
    if os.path.exists(os.path.join(config.trit_obj_root, "lib", "trit", arch,
                                   "libtrit-runtime.a")):
        config.available_features.add(arch + "-runtime")
llvm_config.add_tool_substitutions(
    tools, [config.trit_tools_dir, config.llvm_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
