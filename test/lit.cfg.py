# lit configuration for Trit's FileCheck tests.
import os
import re
import shutil

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

tools = ["trit-opt", "tritc", "trit-run", "trit-server", "trit-perplexity", "trit-bench", "trit-run-compiled", "trit-c-api-example"]
fuzzers = ["trit-fuzz-gguf", "trit-fuzz-safetensors", "trit-fuzz-hf-config",
           "trit-fuzz-artifact"]
if all(os.path.exists(os.path.join(config.trit_tools_dir, f)) for f in fuzzers):
    config.available_features.add("fuzzers")
    tools += fuzzers
# A sanitizer build (TRIT_SANITIZE=1): ASan keeps freed memory in quarantine
# (256 MB by default), so a soak's RSS says nothing about leaks there
# (LeakSanitizer checks them at exit instead).
server_binary = os.path.join(config.trit_tools_dir, "trit-server")
sanitized = (os.path.exists(server_binary) and
             b"__asan_init" in open(server_binary, "rb").read())
if sanitized:
    config.available_features.add("asan")
config.substitutions.append(
    ("%soak-rss-growth-kib", str(1024 * 1024 if sanitized else 32 * 1024)))
# The official OpenAI Node SDK, which scripts/setup.sh installs from npm when
# it can: tests that need it are UNSUPPORTED without it (no network needed).
openai_node = "/usr/local/share/trit/npm/node_modules"
if shutil.which("node") and os.path.isdir(os.path.join(openai_node, "openai")):
    config.available_features.add("openai-node")
    config.environment["NODE_PATH"] = openai_node
if os.path.exists(os.path.join(config.trit_obj_root, "kernels", "neon-kernels-test")):
    config.available_features.add("aarch64-qemu")
# Host CPU features, for tests that run compiled code: host-FEATURE for
# each feature the runtime checks (LLVM's names, from /proc/cpuinfo's), and
# host-runs-CPU when code for CPU runs here. TRIT_HOST_CPU=CPU (or
# --param host_cpu=CPU) makes the host look like CPU: lit, tritc's host
# target and the runtime's check then see only its features.
cpuinfo_names = {
    "sse4_1": "sse4.1", "sse4_2": "sse4.2", "avx": "avx", "avx2": "avx2",
    "fma": "fma", "f16c": "f16c", "bmi1": "bmi", "bmi2": "bmi2",
    "avx512f": "avx512f", "avx512bw": "avx512bw", "avx512vl": "avx512vl",
    "avx512dq": "avx512dq", "avx512cd": "avx512cd",
    "avx512_vnni": "avx512vnni", "avx512_bf16": "avx512bf16",
    "avx512vbmi": "avx512vbmi", "avx512_vbmi2": "avx512vbmi2",
    "avx512_bitalg": "avx512bitalg", "avx512_vpopcntdq": "avx512vpopcntdq",
    "avx512ifma": "avx512ifma", "avx_vnni": "avxvnni", "gfni": "gfni",
    "vaes": "vaes", "vpclmulqdq": "vpclmulqdq", "amx_tile": "amx-tile",
    "amx_int8": "amx-int8", "amx_bf16": "amx-bf16",
}
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
except OSError:
    flags = []
host_features = {cpuinfo_names[f] for f in flags if f in cpuinfo_names}


def read_mask_cpus():
    """The CPUs TRIT_HOST_CPU can name and their features: the runtime's
    table (kMaskCpus), so that lit and the runtime agree."""
    path = os.path.join(config.trit_src_root, "runtime", "lib",
                        "CpuFeatures.cpp")
    with open(path) as source:
        text = source.read()
    table = re.search(r"kMaskCpus\[\] = \{(.*?)\n\};", text, re.S).group(1)
    cpus = {}
    for entry in re.findall(r"\{(.*?)\}", table, re.S):
        strings = re.findall(r'"([^"]*)"', entry)
        cpus[strings[0]] = set("".join(strings[1:]).split())
    return cpus


mask_cpus = read_mask_cpus()
host_cpu = lit_config.params.get("host_cpu",
                                 os.environ.get("TRIT_HOST_CPU", ""))
if host_cpu:
    if host_cpu not in mask_cpus:
        lit_config.fatal("TRIT_HOST_CPU=%s: not a CPU the host can pose as "
                         "(%s)" % (host_cpu, ", ".join(mask_cpus)))
    lacking = sorted(mask_cpus[host_cpu] - host_features)
    if lacking:
        lit_config.fatal("TRIT_HOST_CPU=%s: this host lacks %s (a mask only "
                         "takes features away)" % (host_cpu, ", ".join(lacking)))
    host_features &= mask_cpus[host_cpu]
    config.environment["TRIT_HOST_CPU"] = host_cpu
    lit_config.note("the host runs as %s: %s" %
                    (host_cpu, " ".join(sorted(host_features))))
for feature in host_features:
    config.available_features.add("host-" + feature)
for cpu, features in mask_cpus.items():
    if features <= host_features:
        config.available_features.add("host-runs-" + cpu)
# Runtimes tritc --emit=exe|static-lib can link (runtime/standalone).
for arch in ["x86_64", "aarch64"]:
    if os.path.exists(os.path.join(config.trit_obj_root, "lib", "trit", arch,
                                   "libtrit-runtime.a")):
        config.available_features.add(arch + "-runtime")
llvm_config.add_tool_substitutions(
    tools, [config.trit_tools_dir, config.llvm_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
