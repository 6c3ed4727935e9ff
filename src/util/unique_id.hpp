// Request ids: 128 bits, unique without a random draw per id (a random per-process prefix and a
// counter passed through a bijective mix), so minting one costs no system call.
#pragma once

namespace asg {

// Writes 32 lowercase hex digits and a NUL into out.
void unique_id_hex(char out[33]);

}  // namespace asg
