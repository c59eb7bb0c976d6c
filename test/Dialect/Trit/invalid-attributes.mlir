// RUN: trit-opt %s --split-input-file --verify-diagnostics

// The dialect's discardable attributes (TritDialect::k*AttrName) are
// verified where they appear; one case per message.

// expected-error @+1 {{has a trit.target that is not a #trit.target on a module}}
module attributes {trit.target = "znver4"} {
}

// -----

// expected-error @+1 {{has a trit.model that is not a dictionary on a module}}
module attributes {trit.model = [1, 2]} {
}

// -----

module {
  // expected-error @+1 {{has a trit.entry_point that is not a string on a function}}
  func.func @prefill() attributes {trit.entry_point = 1 : i64} {
    return
  }
}

// -----

module {
  // expected-error @+1 {{has a trit.memory_plan that is not a dictionary}}
  func.func @f() attributes {trit.memory_plan = 64 : i64} {
    return
  }
}

// -----

module {
  // expected-error @+1 {{has a trit.memory_plan without an integer 'max_context'}}
  func.func @f() attributes {trit.memory_plan = {arena_size = 64 : i64, max_tokens = 4 : i64}} {
    return
  }
}

// -----

module {
  // expected-error @+1 {{has a trit.buffers that is not an array<i64>}}
  func.func @f() attributes {trit.buffers = [0, 64]} {
    return
  }
}

// -----

// expected-error @+1 {{has a trit.weights entry that is not a dictionary of 'name' and 'layout' strings: {name = "w"}}}
module attributes {trit.weights = [{name = "w"}]} {
}

// -----

// expected-error @+1 {{has a trit.kernel_isas entry that names no kernel family: "avx9000"}}
module attributes {trit.kernel_isas = ["generic", "avx9000"]} {
}

// -----

// expected-error @+1 {{has a trit.rope that is not a dictionary with a float 'theta'}}
module attributes {trit.rope = {head_dim = 64 : i64, theta = 10000 : i64}} {
}

// -----

// expected-error @+1 {{'trit.prompt_lut' is not an attribute of the trit dialect}}
module attributes {trit.prompt_lut} {
}

// -----

// Well-formed attributes verify.
module attributes {trit.kernel_isas = ["generic", "avx512vnni"], trit.model = {context_length = 16 : i64}, trit.rope = {head_dim = 64 : i64, theta = 1.0e+04 : f64}, trit.weights = [{layout = "f16", name = "table"}]} {
  func.func @f() attributes {trit.buffers = array<i64: 0, -1>, trit.entry_point = "prefill", trit.memory_plan = {arena_size = 64 : i64, max_context = 16 : i64, max_tokens = 4 : i64}} {
    return
  }
}
