;; Byte histogram: four interleaved tables of 256 u32 counters at 0, 1024, 2048 and 3072 (so that
;; successive increments do not wait on each other); data at any offset from 4096 on.
(module
  (memory (export "memory") 1)
  (func (export "count") (param $p i32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $w i32) (local $a i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end4 (i32.sub (local.get $end) (i32.const 3)))
    (block $words_done
      (loop $words
        (br_if $words_done (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $w (i32.load (local.get $p)))
        (local.set $a (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 1020)))
        (i32.store offset=1024 (local.get $a) (i32.add (i32.load offset=1024 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.and (i32.shr_u (local.get $w) (i32.const 14)) (i32.const 1020)))
        (i32.store offset=2048 (local.get $a) (i32.add (i32.load offset=2048 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 2)))
        (i32.store offset=3072 (local.get $a) (i32.add (i32.load offset=3072 (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $words)))
    (block $bytes_done
      (loop $bytes
        (br_if $bytes_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))))
