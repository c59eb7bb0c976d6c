// Every verifier rule of trit.rope, trit.kv_store and trit.attention, broken
// once.
// RUN: trit-opt %s -split-input-file -verify-diagnostics

func.func @f(%q: tensor<?x2560xf32>, %pos: index) {
  // expected-error @+1 {{'trit.rope' op head_dim must be positive and even, got 127}}
  %0 = trit.rope neox %q at %pos head_dim 127 theta 500000.0 : tensor<?x2560xf32>
  return
}

// -----

func.func @f(%q: tensor<?x2560xf32>, %pos: index) {
  // expected-error @+1 {{'trit.rope' op row width 2560 is not a whole number of heads of 96}}
  %0 = trit.rope neox %q at %pos head_dim 96 theta 500000.0 : tensor<?x2560xf32>
  return
}

// -----

func.func @f(%q: tensor<?x2560xf32>, %pos: index) {
  // expected-error @+1 {{'trit.rope' op theta must be positive, got 0}}
  %0 = trit.rope neox %q at %pos head_dim 128 theta 0.0 : tensor<?x2560xf32>
  return
}

// -----

func.func @f(%q: tensor<?x2560xf32>, %pos: index) {
  // expected-error @+1 {{custom op 'trit.rope' expected string or keyword containing one of the following enum values for attribute 'mode' [neox, interleaved]}}
  %0 = trit.rope gptj %q at %pos head_dim 128 theta 500000.0 : tensor<?x2560xf32>
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%k: tensor<?x640xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.kv_store' op layer 30 is out of range: the cache has 30 layers}}
  %0 = trit.kv_store %k, %k into %c[30] at %pos : tensor<?x640xf32>, tensor<?x640xf32> -> !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%k: tensor<?x2560xf32>, %v: tensor<?x640xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.kv_store' op width mismatch: the keys has 2560 but a cache row (kv_heads x head_dim) has 640}}
  %0 = trit.kv_store %k, %v into %c[0] at %pos : tensor<?x2560xf32>, tensor<?x640xf32> -> !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%k: tensor<?x640xf32>, %v: tensor<?x512xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.kv_store' op width mismatch: the values has 512 but a cache row (kv_heads x head_dim) has 640}}
  %0 = trit.kv_store %k, %v into %c[0] at %pos : tensor<?x640xf32>, tensor<?x512xf32> -> !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%k: tensor<2x640xf32>, %v: tensor<3x640xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.kv_store' op row count mismatch: the keys has 2 but the values has 3}}
  %0 = trit.kv_store %k, %v into %c[0] at %pos : tensor<2x640xf32>, tensor<3x640xf32> -> !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
!other = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f32>
func.func @f(%k: tensor<?x640xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.kv_store' op failed to verify that all of {cache, result} have same type}}
  %0 = "trit.kv_store"(%k, %k, %c, %pos) <{layer = 0 : i64}> : (tensor<?x640xf32>, tensor<?x640xf32>, !cache, index) -> !other
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%q: tensor<?x2560xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.attention' op layer -1 is out of range: the cache has 30 layers}}
  %0 = trit.attention %q, %c[-1] at %pos heads 20 : tensor<?x2560xf32>, !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 6, head_dim = 128, element_type = f16>
func.func @f(%q: tensor<?x2560xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.attention' op 20 query heads do not divide into 6 KV heads}}
  %0 = trit.attention %q, %c[0] at %pos heads 20 : tensor<?x2560xf32>, !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%q: tensor<?x2560xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.attention' op width mismatch: the query has 2560 but num_heads x head_dim has 1280}}
  %0 = trit.attention %q, %c[0] at %pos heads 10 : tensor<?x2560xf32>, !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%q: tensor<?x2560xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.attention' op num_heads must be positive, got 0}}
  %0 = trit.attention %q, %c[0] at %pos heads 0 : tensor<?x2560xf32>, !cache
  return
}

// -----

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
func.func @f(%q: tensor<?x2560xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'trit.attention' op scale must be positive, got -5.000000e-01}}
  %0 = trit.attention %q, %c[0] at %pos heads 20 scale -0.5 : tensor<?x2560xf32>, !cache
  return
}
