// Load-and-call smoke test of an addon binary where no Node build exists (musl):
// a tiny fake N-API host. It dlopen()s the .node with the target libc's own loader,
// calls napi_register_module_v1 (the addon's real Init: static constructors,
// relocations against the host's napi_* symbols), then calls the registered
// crc32c, blake3 and hashInfo functions through N-API exactly as Node would, and
// checks the results against the published check values.
// Every napi_*/uv_* function not implemented here comes from a generated stub file
// that returns napi_ok without touching its arguments (napi-stubs.c).
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void* napi_env;
typedef void* napi_value;
typedef void* napi_callback_info;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);

enum Kind { K_NONE, K_FUNCTION, K_BYTES, K_NUMBER, K_STRING, K_OBJECT };
struct Value {
  enum Kind kind;
  const char* name;  // function name or string contents
  napi_callback cb;
  uint8_t* bytes;
  size_t len;
  double number;
  char text[64];
};
static struct Value values[256];
static int nvalues;
static const char* exported[64];
static int exported_fn[64];
static int nexported;
static int errors;

static napi_value make(enum Kind kind) {
  if (nvalues == 255) return 0;
  values[++nvalues].kind = kind;
  return (napi_value)(intptr_t)nvalues;
}
static struct Value* get(napi_value v) {
  intptr_t i = (intptr_t)v;
  return i > 0 && i <= nvalues ? &values[i] : &values[0];
}

// ---- the N-API functions the smoke calls need to behave --------------------
int napi_create_function(napi_env env, const char* name, size_t len, napi_callback cb, void* data, napi_value* result) {
  (void)env; (void)len; (void)data;
  *result = make(K_FUNCTION);
  get(*result)->cb = cb;
  get(*result)->name = name;
  return 0;
}
int napi_set_named_property(napi_env env, napi_value obj, const char* name, napi_value value) {
  (void)env;
  if (obj == (napi_value)1000 && nexported < 64) {  // the exports object
    exported[nexported] = name;
    exported_fn[nexported++] = (int)(intptr_t)value;
  } else if (get(value)->kind == K_STRING) {
    printf("  hashInfo.%s = %s\n", name, get(value)->text);
  }
  return 0;
}
static napi_value call_args[4];
static size_t call_argc;
int napi_get_cb_info(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv, napi_value* self, void** data) {
  (void)env; (void)info; (void)self;
  size_t cap = argc ? *argc : 0;
  for (size_t i = 0; i < cap; i++) argv[i] = i < call_argc ? call_args[i] : 0;
  if (argc) *argc = call_argc;
  if (data) *data = 0;
  return 0;
}
int napi_is_typedarray(napi_env env, napi_value v, int* result) {
  (void)env;
  *(char*)result = get(v)->kind == K_BYTES;
  return 0;
}
int napi_get_typedarray_info(napi_env env, napi_value v, int* type, size_t* length, void** data, napi_value* ab, size_t* offset) {
  (void)env;
  struct Value* x = get(v);
  if (x->kind != K_BYTES) return 1;  // napi_invalid_arg
  if (type) *type = 1;                // napi_uint8_array
  if (length) *length = x->len;
  if (data) *data = x->bytes;
  if (ab) *ab = 0;
  if (offset) *offset = 0;
  return 0;
}
int napi_get_value_double(napi_env env, napi_value v, double* out) {
  (void)env;
  if (get(v)->kind != K_NUMBER) return 6;  // napi_number_expected
  *out = get(v)->number;
  return 0;
}
int napi_get_value_uint32(napi_env env, napi_value v, uint32_t* out) {
  (void)env;
  if (get(v)->kind != K_NUMBER) return 6;
  *out = (uint32_t)get(v)->number;
  return 0;
}
int napi_typeof(napi_env env, napi_value v, int* out) {
  (void)env;
  static const int types[] = {0, 7, 6, 3, 4, 6};  // undefined, function, object, number, string, object
  *out = types[get(v)->kind];
  return 0;
}
int napi_create_uint32(napi_env env, uint32_t v, napi_value* result) {
  (void)env;
  *result = make(K_NUMBER);
  get(*result)->number = v;
  return 0;
}
int napi_create_double(napi_env env, double v, napi_value* result) {
  (void)env;
  *result = make(K_NUMBER);
  get(*result)->number = v;
  return 0;
}
int napi_create_object(napi_env env, napi_value* result) {
  (void)env;
  *result = make(K_OBJECT);
  return 0;
}
int napi_create_string_utf8(napi_env env, const char* s, size_t len, napi_value* result) {
  (void)env; (void)len;
  *result = make(K_STRING);
  snprintf(get(*result)->text, sizeof get(*result)->text, "%s", s);
  return 0;
}
int napi_is_exception_pending(napi_env env, int* result) {
  (void)env;
  *(char*)result = 0;
  return 0;
}
static int thrown(const char* code, const char* msg) {
  printf("  addon threw %s: %s\n", code ? code : "", msg);
  errors++;
  return 0;
}
int napi_throw_error(napi_env env, const char* code, const char* msg) { (void)env; return thrown(code, msg); }
int napi_throw_type_error(napi_env env, const char* code, const char* msg) { (void)env; return thrown(code, msg); }
int napi_throw_range_error(napi_env env, const char* code, const char* msg) { (void)env; return thrown(code, msg); }

// ---- the smoke ----------------------------------------------------------------
static napi_value call(const char* name, size_t argc, napi_value* argv) {
  for (int i = 0; i < nexported; i++) {
    if (strcmp(exported[i], name) != 0) continue;
    memcpy(call_args, argv, argc * sizeof *argv);
    call_argc = argc;
    return get((napi_value)(intptr_t)exported_fn[i])->cb((napi_env)1, (napi_callback_info)1);
  }
  printf("  %s is not exported\n", name);
  errors++;
  return 0;
}

static void check(const char* what, int ok) {
  printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) errors++;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: napi-smoke ADDON.node\n");
    return 2;
  }
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    printf("  FAIL dlopen: %s\n", dlerror());
    return 1;
  }
  int32_t (*version)(void) = (int32_t(*)(void))dlsym(h, "node_api_module_get_api_version_v1");
  napi_value (*init)(napi_env, napi_value) = (napi_value(*)(napi_env, napi_value))dlsym(h, "napi_register_module_v1");
  check("dlopen and both N-API entry points found", version && init);
  if (!version || !init) return 1;
  printf("  node_api_module_get_api_version_v1() = %d\n", version());
  check("napi_register_module_v1 returns the exports object", init((napi_env)1, (napi_value)1000) == (napi_value)1000);
  printf("  %d functions registered\n", nexported);
  check("crc32c and blake3 registered", nexported >= 20);

  static uint8_t digits[] = "123456789";
  napi_value data = make(K_BYTES);
  get(data)->bytes = digits;
  get(data)->len = 9;
  napi_value zero = make(K_NUMBER);
  napi_value args[4] = {data, zero};
  napi_value crc = call("crc32c", 2, args);
  check("crc32c(\"123456789\") = e3069283 (CRC-32C check value)", get(crc)->kind == K_NUMBER && (uint32_t)get(crc)->number == 0xe3069283u);

  static uint8_t abc[] = "abc", out[32];
  static const uint8_t want[32] = {0x64, 0x37, 0xb3, 0xac, 0x38, 0x46, 0x51, 0x33, 0xff, 0xb6, 0x3b, 0x75, 0x27, 0x3a, 0x8d, 0xb5,
                                   0x48, 0xc5, 0x58, 0x46, 0x5d, 0x79, 0xdb, 0x03, 0xfd, 0x35, 0x9c, 0x6c, 0xd5, 0xbd, 0x9d, 0x85};
  napi_value in = make(K_BYTES), dst = make(K_BYTES);
  get(in)->bytes = abc;
  get(in)->len = 3;
  get(dst)->bytes = out;
  get(dst)->len = 32;
  napi_value b3[3] = {in, dst, zero};
  call("blake3", 3, b3);
  check("blake3(\"abc\") = 6437b3ac...bd9d85", memcmp(out, want, 32) == 0);

  static uint8_t big[102400];  // long enough for the SIMD lanes kernels
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i % 251);
  napi_value bigv = make(K_BYTES);
  get(bigv)->bytes = big;
  get(bigv)->len = sizeof big;
  napi_value b3big[3] = {bigv, dst, zero};
  call("blake3", 3, b3big);
  // Official test vector (input byte i = i % 251), length 102400.
  static const uint8_t want_vector[8] = {0xbc, 0x3e, 0x3d, 0x41, 0xa1, 0x14, 0x6b, 0x06};
  check("blake3 of the 102400-byte official vector input", memcmp(out, want_vector, 8) == 0);
  call("hashInfo", 0, args);
  printf("%s\n", errors ? "SMOKE FAILED" : "SMOKE OK");
  return errors ? 1 : 0;
}
