// N-API bindings for CRC32C, BLAKE3 and the frame batch helpers. Arguments are
// checked here too (the TypeScript layer checks first, with friendlier words),
// so a wrong type is always a TypeError, never a crash.
#include <cstring>
#include <new>
#include <string>

#include "blake3/blake3.h"
#include "crc32c/crc32c.h"
#include "find_frame.h"
#include "frames.h"
#include "hash_binding.h"
#include "napi_util.h"

namespace stemedb {
namespace {

constexpr size_t kMaxArgs = 7;

struct Args {
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
};

bool get_args(napi_env env, napi_callback_info info, Args* a, size_t need) {
  if (napi_get_cb_info(env, info, &a->argc, a->argv, nullptr, nullptr) != napi_ok) return false;
  if (a->argc < need) {
    throw_type_error(env, "missing arguments");
    return false;
  }
  return true;
}

// The optional `offset` argument at argv[i]: absent or undefined = unbound (v2)
// frames; a safe integer = frames bound to global offsets from there (v3).
bool get_binding(napi_env env, const Args& a, size_t i, FrameBinding* out) {
  *out = FrameBinding{};
  if (a.argc <= i) return true;
  napi_valuetype t;
  napi_typeof(env, a.argv[i], &t);
  if (t == napi_undefined) return true;
  out->bound = true;
  return get_index(env, a.argv[i], "offset", &out->offset);
}

// crc32c(data: Uint8Array, seed: number) -> number
napi_value Crc32c(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) return throw_type_error(env, "crc32c(data, seed) needs two arguments");
  Bytes data;
  uint32_t seed;
  if (!get_bytes(env, argv[0], "data", &data) || !get_u32(env, argv[1], "seed", &seed)) return nullptr;
  return make_u32(env, crc32c_extend(seed, data.data, data.len));
}

// Key-derivation context: the BLAKE3 spec hashes the context string as UTF-8.
bool get_context(napi_env env, napi_value v, std::string* out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) {
    throw_type_error(env, "context must be a string");
    return false;
  }
  out->resize(len + 1);
  napi_get_value_string_utf8(env, v, &(*out)[0], len + 1, &len);
  out->resize(len);
  return true;
}

// Sets up a hasher for mode 0 (plain), 1 (keyed: key Uint8Array[32]), 2 (derive: context string).
bool init_hasher(napi_env env, blake3::Hasher* h, uint32_t mode, napi_value key_or_context) {
  if (mode == 0) {
    h->init();
    return true;
  }
  if (mode == 1) {
    Bytes key;
    if (!get_bytes(env, key_or_context, "key", &key)) return false;
    if (key.len != blake3::kKeyLen) {
      throw_range_error(env, "key must be exactly 32 bytes");
      return false;
    }
    h->init_keyed(key.data);
    return true;
  }
  if (mode == 2) {
    std::string ctx;
    if (!get_context(env, key_or_context, &ctx)) return false;
    h->init_derive_key(ctx.data(), ctx.size());
    return true;
  }
  throw_range_error(env, "mode must be 0, 1 or 2");
  return false;
}

// blake3(data, out, mode, keyOrContext) -> undefined; fills `out` (any length).
napi_value Blake3(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 3)) return nullptr;
  Bytes data, out;
  uint32_t mode;
  if (!get_bytes(env, a.argv[0], "data", &data) || !get_bytes(env, a.argv[1], "out", &out) ||
      !get_u32(env, a.argv[2], "mode", &mode))
    return nullptr;
  if (mode == 0) {
    blake3::hash(data.data, data.len, out.data, out.len);
    return nullptr;
  }
  if (a.argc < 4) return throw_type_error(env, "keyed and derive-key modes need a key or context");
  blake3::Hasher h;
  if (!init_hasher(env, &h, mode, a.argv[3])) return nullptr;
  h.update(data.data, data.len);
  h.finalize(out.data, out.len);
  return nullptr;
}

// Streaming hasher as a tagged External: forged or foreign objects are refused.
const napi_type_tag kHasherTag = {0x5374656d65646233ULL, 0x4861736865720001ULL};

void finalize_hasher(napi_env, void* data, void*) { delete static_cast<blake3::Hasher*>(data); }

blake3::Hasher* get_hasher(napi_env env, napi_value v) {
  napi_valuetype t;
  bool ok = false;
  void* p = nullptr;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_check_object_type_tag(env, v, &kHasherTag, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &p) != napi_ok) {
    throw_type_error(env, "not a BLAKE3 hasher handle");
    return nullptr;
  }
  return static_cast<blake3::Hasher*>(p);
}

// Hands a heap hasher to JS as a tagged External (freed by its finalizer).
napi_value wrap_hasher(napi_env env, blake3::Hasher* h) {
  napi_value ext;
  if (napi_create_external(env, h, finalize_hasher, nullptr, &ext) != napi_ok) {
    delete h;
    return throw_error_code(env, "ENOMEM", "could not create hasher");
  }
  napi_type_tag_object(env, ext, &kHasherTag);
  return ext;
}

// hasherCreate(mode, keyOrContext) -> External
napi_value HasherCreate(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  uint32_t mode;
  if (!get_u32(env, a.argv[0], "mode", &mode)) return nullptr;
  if (mode != 0 && a.argc < 2) return throw_type_error(env, "keyed and derive-key modes need a key or context");
  auto* h = new (std::nothrow) blake3::Hasher();
  if (!h) return throw_error_code(env, "ENOMEM", "out of memory");
  if (!init_hasher(env, h, mode, mode == 0 ? nullptr : a.argv[1])) {
    delete h;
    return nullptr;
  }
  return wrap_hasher(env, h);
}

// hasherUpdate(handle, data)
napi_value HasherUpdate(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 2)) return nullptr;
  blake3::Hasher* h = get_hasher(env, a.argv[0]);
  Bytes data;
  if (!h || !get_bytes(env, a.argv[1], "data", &data)) return nullptr;
  h->update(data.data, data.len);
  return nullptr;
}

// hasherDigest(handle, out, seek)
napi_value HasherDigest(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 3)) return nullptr;
  blake3::Hasher* h = get_hasher(env, a.argv[0]);
  Bytes out;
  uint64_t seek;
  if (!h || !get_bytes(env, a.argv[1], "out", &out) || !get_index(env, a.argv[2], "seek", &seek)) return nullptr;
  h->finalize(out.data, out.len, seek);
  return nullptr;
}

// hasherCopy(handle) -> External (a fork of the state, for digest-then-continue).
napi_value HasherCopy(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  blake3::Hasher* h = get_hasher(env, a.argv[0]);
  if (!h) return nullptr;
  auto* copy = new (std::nothrow) blake3::Hasher(*h);
  if (!copy) return throw_error_code(env, "ENOMEM", "out of memory");
  return wrap_hasher(env, copy);
}

// frameBatch(data, lengths: Uint32Array, hashesOut, crcsOut: Uint32Array, offset?)
napi_value FrameBatch(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 4)) return nullptr;
  Bytes data, hashes;
  uint32_t* lens;
  uint32_t* crcs;
  size_t n, ncrc;
  if (!get_bytes(env, a.argv[0], "data", &data) || !get_u32_array(env, a.argv[1], "lengths", &lens, &n) ||
      !get_bytes(env, a.argv[2], "hashes", &hashes) || !get_u32_array(env, a.argv[3], "crcs", &crcs, &ncrc))
    return nullptr;
  FrameBinding binding;
  if (!get_binding(env, a, 4, &binding)) return nullptr;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) total += lens[i];
  if (total > data.len) return throw_range_error(env, "lengths add up to more than data holds");
  if (hashes.len < n * blake3::kOutLen || ncrc < n) return throw_range_error(env, "output arrays are too small");
  frame_batch(data.data, lens, n, hashes.data, crcs, binding);
  return nullptr;
}

// sealFrames(buf, count, hashesOut?, offset?) -> end position. With hashesOut, each
// frame's hash is also copied to hashesOut[i*32] (the journal's results keep
// those, so its frame buffer can be reused for the next batch).
napi_value SealFrames(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 2)) return nullptr;
  Bytes buf, hashes;
  uint64_t count;
  if (!get_bytes(env, a.argv[0], "buf", &buf) || !get_index(env, a.argv[1], "count", &count)) return nullptr;
  bool want_hashes = false;
  if (a.argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, a.argv[2], &t);
    if (t != napi_undefined) {
      if (!get_bytes(env, a.argv[2], "hashes", &hashes)) return nullptr;
      if (hashes.len / blake3::kOutLen < count) return throw_range_error(env, "hashes is too small");
      want_hashes = true;
    }
  }
  FrameBinding binding;
  if (!get_binding(env, a, 3, &binding)) return nullptr;
  size_t end = seal_frames(buf.data, buf.len, count, binding);
  if (end == SIZE_MAX) return throw_range_error(env, "a frame's length field runs past the buffer");
  if (want_hashes) {
    size_t q = 0;
    for (uint64_t i = 0; i < count; i++) {
      const uint8_t* f = buf.data + q;
      std::memcpy(hashes.data + i * blake3::kOutLen, f + 8, blake3::kOutLen);
      q += kFrameHeader + (static_cast<uint32_t>(f[0]) | (static_cast<uint32_t>(f[1]) << 8) |
                           (static_cast<uint32_t>(f[2]) << 16) | (static_cast<uint32_t>(f[3]) << 24));
    }
  }
  return make_f64(env, static_cast<double>(end));
}

// verifyFrames(buf, start, end, maxLen, maxCount, out: Float64Array[3], offset?) -> status
// (offset: the global offset of the frame at `start`)
// out = [valid frames, position after the last valid frame, status]
napi_value VerifyFrames(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 6)) return nullptr;
  Bytes buf;
  uint64_t start, end, max_len, max_count;
  double* out;
  size_t nout;
  if (!get_bytes(env, a.argv[0], "buf", &buf) || !get_index(env, a.argv[1], "start", &start) ||
      !get_index(env, a.argv[2], "end", &end) || !get_index(env, a.argv[3], "maxLen", &max_len) ||
      !get_index(env, a.argv[4], "maxCount", &max_count) || !get_f64_array(env, a.argv[5], "out", &out, &nout))
    return nullptr;
  if (start > end || end > buf.len) return throw_range_error(env, "start/end out of the buffer");
  if (nout < 3) return throw_range_error(env, "out must hold 3 numbers");
  FrameBinding binding;
  if (!get_binding(env, a, 6, &binding)) return nullptr;
  VerifyResult r = verify_frames(buf.data, start, end, max_len, max_count, binding);
  out[0] = static_cast<double>(r.count);
  out[1] = static_cast<double>(r.pos);
  out[2] = r.status;
  return make_u32(env, r.status);
}

// crc32cCheckpoints(buf, step, out: Uint32Array): out[i] = CRC32C of buf[0, i*step).
napi_value Crc32cCheckpoints(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 3)) return nullptr;
  Bytes buf;
  uint64_t step;
  uint32_t* out;
  size_t nout;
  if (!get_bytes(env, a.argv[0], "buf", &buf) || !get_index(env, a.argv[1], "step", &step) ||
      !get_u32_array(env, a.argv[2], "out", &out, &nout))
    return nullptr;
  if (step == 0) return throw_range_error(env, "step must be positive");
  if (nout < buf.len / step + 1) return throw_range_error(env, "out is too small");
  crc32c_checkpoints(buf.data, buf.len, step, out);
  return nullptr;
}

// findFrame(buf, from, checkpoints: Uint32Array, step, offset?) -> position or -1
// (offset: the global offset of buf[0]; frames bound to theirs when given).
napi_value FindFrame(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 4)) return nullptr;
  Bytes buf;
  uint64_t from, step;
  uint32_t* cps;
  size_t ncps;
  if (!get_bytes(env, a.argv[0], "buf", &buf) || !get_index(env, a.argv[1], "from", &from) ||
      !get_u32_array(env, a.argv[2], "checkpoints", &cps, &ncps) || !get_index(env, a.argv[3], "step", &step))
    return nullptr;
  if (step == 0) return throw_range_error(env, "step must be positive");
  if (ncps < buf.len / step + 1) return throw_range_error(env, "checkpoints is too small");
  FrameBinding binding;
  if (!get_binding(env, a, 4, &binding)) return nullptr;
  int64_t pos = from > buf.len ? -1 : find_frame(buf.data, buf.len, from, cps, step, binding);
  return make_f64(env, static_cast<double>(pos));
}

// hashInfo() -> { crc32c, blake3, blake3Paths: { block, chunk, tree } }: the paths chosen at
// run time; blake3Paths names the one hash() takes per size class (<= 64 B, <= 1 KiB, longer).
napi_value HashInfo(napi_env env, napi_callback_info) {
  napi_value obj, paths, s;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, crc32c_impl_name(), NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "crc32c", s);
  napi_create_string_utf8(env, blake3::impl_name(), NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "blake3", s);
  napi_create_object(env, &paths);
  const struct {
    const char* name;
    size_t len;
  } classes[] = {{"block", 64}, {"chunk", 1024}, {"tree", 1025}};
  for (const auto& c : classes) {
    napi_create_string_utf8(env, blake3::class_impl_name(c.len), NAPI_AUTO_LENGTH, &s);
    napi_set_named_property(env, paths, c.name, s);
  }
  napi_set_named_property(env, obj, "blake3Paths", paths);
  return obj;
}

// blake3SetImpl(name) -> boolean (tests force each SIMD path).
napi_value Blake3SetImpl(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  std::string name;
  if (!get_context(env, a.argv[0], &name)) return nullptr;
  napi_value r;
  napi_get_boolean(env, blake3::set_impl_for_testing(name.c_str()), &r);
  return r;
}

}  // namespace

void InitHash(napi_env env, napi_value exports) {
  set_function(env, exports, "crc32c", Crc32c);
  set_function(env, exports, "blake3", Blake3);
  set_function(env, exports, "hasherCreate", HasherCreate);
  set_function(env, exports, "hasherUpdate", HasherUpdate);
  set_function(env, exports, "hasherDigest", HasherDigest);
  set_function(env, exports, "hasherCopy", HasherCopy);
  set_function(env, exports, "frameBatch", FrameBatch);
  set_function(env, exports, "sealFrames", SealFrames);
  set_function(env, exports, "verifyFrames", VerifyFrames);
  set_function(env, exports, "crc32cCheckpoints", Crc32cCheckpoints);
  set_function(env, exports, "findFrame", FindFrame);
  set_function(env, exports, "hashInfo", HashInfo);
  set_function(env, exports, "blake3SetImpl", Blake3SetImpl);
}

}  // namespace stemedb
