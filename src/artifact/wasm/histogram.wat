;; Byte histogram: eight interleaved tables of 256 u32 counters at 0, 1024, ..., 7168 (so that
;; successive increments, of runs of one byte value above all, do not wait on each other), eight
;; bytes read at a time; data at any offset from 8192 on.
(module
  (memory (export "memory") 1)
  (func (export "count") (param $p i32) (param $n i32)
    (local $end i32) (local $end8 i32) (local $w i64) (local $lo i32) (local $hi i32) (local $a i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end8 (i32.sub (local.get $end) (i32.const 7)))
    (block $words_done
      (loop $words
        (br_if $words_done (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $w (i64.load (local.get $p)))
        (local.set $lo (i32.wrap_i64 (local.get $w)))
        (local.set $hi (i32.wrap_i64 (i64.shr_u (local.get $w) (i64.const 32))))
        (local.set $a (i32.shl (i32.and (local.get $lo) (i32.const 255)) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $lo) (i32.const 6)) (i32.const 1020)))
        (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $lo) (i32.const 14)) (i32.const 1020)))
        (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.shr_u (local.get $lo) (i32.const 24)) (i32.const 2)))
        (i32.store offset=3072 (local.get $a) (i32.add (i32.load offset=3072 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.and (local.get $hi) (i32.const 255)) (i32.const 2)))
        (i32.store offset=4096 (local.get $a) (i32.add (i32.load offset=4096 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $hi) (i32.const 6)) (i32.const 1020)))
        (i32.store offset=5120 (local.get $a) (i32.add (i32.load offset=5120 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $hi) (i32.const 14)) (i32.const 1020)))
        (i32.store offset=6144 (local.get $a) (i32.add (i32.load offset=6144 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.shr_u (local.get $hi) (i32.const 24)) (i32.const 2)))
        (i32.store offset=7168 (local.get $a) (i32.add (i32.load offset=7168 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $words)))
    (block $bytes_done
      (loop $bytes
        (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))))
