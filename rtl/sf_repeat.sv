// SemifreddoNets-HW: repeat controller of the repeatable tail (docs/arithmetic.md 3.3).
//
// The tail (blocks r0..N-1 of all cores) runs R times per frame.  This module sits
// around it and sees every stream of the tail bundled into one (frozen and trainable
// feature maps concatenated in tdata):
//
//   s_axis (front, pass 1) --+--> [mux] --> m_tail_axis --> tail --> s_tail_axis --> [demux] --+--> m_axis (last pass)
//                            |      ^                                                     |
//                            |      +------------- feedback buffer (one frame) <----------+  (passes 1..R-1)
//
// Mux: a frame of pass 1 comes from the front; passes 2..R come from the feedback
// buffer.  The mux switches source only at frame boundaries (after Width*Height pixels),
// so the tail sees whole frames back to back and its window generators overlap frame
// boundaries as usual.  While passes 2..R run, the front is held (s_axis_tready low):
// the throughput of the network falls to 1/R; with R = 1 the mux never leaves the front
// and the tail streams at full rate.
//
// R of a frame is repeats0_i or repeats1_i, chosen by the frame's bank tag (s_axis_tbank
// on its first pixel), clamped to [1, MaxRepeats].  The mux passes R to the demux through
// a small FIFO, one entry per frame, so both sides agree whatever the tail's latency.
//
// Demux: counts the tail's output frames; a frame of pass p < R goes to the feedback
// buffer, the frame of pass R to m_axis.  The feedback buffer holds a whole frame
// (BufDepth >= Width*Height), so the tail can finish pass p while pass p+1 starts: the
// first row of pass p+1 is the first row of pass p's output, long since buffered.
//
// Sideband: tuser/tlast are regenerated from the module's own counters on every output;
// tbank is carried with every pixel.  Reset: rst_ni asynchronous, active low.
//
// Both inputs (s_axis, s_tail_axis) enter, and the stream into the tail (m_tail_axis)
// leaves, through an sf_fifo slice: every tready they drive is a flop, and the mux
// and demux decide from flops next to them (timing: the tail's two ends and the front are
// spread over the chip).  The demux also writes the feedback buffer through such a slice
// (8 deep): the buffer is a frame deep (many EBRs across the chip), so its room flag and
// write enables stay away from the demux's decision; and m_axis leaves through one too (a
// reference build had the consumer's ready, 10 ns of route away, in front of the enables
// of the tail's output slice: 172 late endpoints).  The slices the mux and the demux
// write are 8 deep, and their readies into the slices they read are flops, set from the
// registered counts of the slices they write (mux_go_q, dmx_go_q).
// Each slice adds 3 clocks of latency and sustains one pixel per clock.
module sf_repeat #(
  parameter int unsigned Width      = 8,
  parameter int unsigned Height     = 8,
  parameter int unsigned DataWidth  = 8,
  parameter int unsigned MaxRepeats = 4,
  parameter int unsigned BufDepth   = 64,   // power of 2, >= Width*Height
  localparam int unsigned RepW      = $clog2(MaxRepeats + 1),
  localparam int unsigned PixW      = $clog2(Width * Height + 1),
  localparam int unsigned ColW      = $clog2(Width + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  input  logic [RepW-1:0]      repeats0_i,
  input  logic [RepW-1:0]      repeats1_i,

  // front: pass-1 frames
  input  logic                 s_axis_tvalid,
  output logic                 s_axis_tready,
  input  logic [DataWidth-1:0] s_axis_tdata,
  input  logic                 s_axis_tuser,
  input  logic                 s_axis_tlast,
  input  logic                 s_axis_tbank,

  // into the tail
  output logic                 m_tail_axis_tvalid,
  input  logic                 m_tail_axis_tready,
  output logic [DataWidth-1:0] m_tail_axis_tdata,
  output logic                 m_tail_axis_tuser,
  output logic                 m_tail_axis_tlast,
  output logic                 m_tail_axis_tbank,

  // out of the tail
  input  logic                 s_tail_axis_tvalid,
  output logic                 s_tail_axis_tready,
  input  logic [DataWidth-1:0] s_tail_axis_tdata,
  input  logic                 s_tail_axis_tuser,
  input  logic                 s_tail_axis_tlast,
  input  logic                 s_tail_axis_tbank,

  // last pass
  output logic                 m_axis_tvalid,
  input  logic                 m_axis_tready,
  output logic [DataWidth-1:0] m_axis_tdata,
  output logic                 m_axis_tuser,
  output logic                 m_axis_tlast,
  output logic                 m_axis_tbank,

  output logic                 frame_err_o
);

  localparam int unsigned Pixels = Width * Height;

  if (BufDepth < Pixels) begin : gen_check_depth
    $fatal(1, "sf_repeat: BufDepth (%0d) must hold a frame (%0d pixels)", BufDepth, Pixels);
  end
  if (MaxRepeats < 1) begin : gen_check_repeats
    $fatal(1, "sf_repeat: MaxRepeats must be at least 1");
  end

  function automatic logic [RepW-1:0] clamp_repeats(logic [RepW-1:0] r);
    if (r == '0) return RepW'(1);
    if (32'(r) > MaxRepeats) return RepW'(MaxRepeats);  // 32-bit: no constant compare when MaxRepeats = 2^RepW - 1
    return r;
  endfunction

  // ------------------------------------------------------------------ input slices
  // {tbank, tlast, tuser, tdata} of the front (fr_*) and of the tail's output (tr_*).
  logic                 fr_valid, fr_ready, fr_user, fr_last, fr_bank;
  logic [DataWidth-1:0] fr_data;
  logic                 tr_valid, tr_ready, tr_user, tr_last, tr_bank;
  logic [DataWidth-1:0] tr_data;
  logic [2:0]           fr_count, tr_count;
  logic [3:0]           ti_count;
  // The mux's and the demux's ready are flops, set when the 8-deep slices they write
  // held at most SliceRoom items in the previous clock's (registered) count: with the
  // transfers of that clock and this one they cannot overflow (see mux_go_q, dmx_go_q).
  localparam logic [3:0] SliceRoom = 4'd5;
  logic                 mux_go_q;
  // Into the tail's input slice (ti_*).
  logic                 ti_valid, ti_ready, ti_user, ti_last, ti_bank;
  logic [DataWidth-1:0] ti_data;

  sf_fifo #(
    .Width(DataWidth + 3),
    .Depth(4)
  ) u_front (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata ({s_axis_tbank, s_axis_tlast, s_axis_tuser, s_axis_tdata}),
    .m_axis_tvalid(fr_valid),
    .m_axis_tready(fr_ready),
    .m_axis_tdata ({fr_bank, fr_last, fr_user, fr_data}),
    .count_o      (fr_count)
  );

  sf_fifo #(
    .Width(DataWidth + 3),
    .Depth(4)
  ) u_tail_out (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(s_tail_axis_tvalid),
    .s_axis_tready(s_tail_axis_tready),
    .s_axis_tdata ({s_tail_axis_tbank, s_tail_axis_tlast, s_tail_axis_tuser, s_tail_axis_tdata}),
    .m_axis_tvalid(tr_valid),
    .m_axis_tready(tr_ready),
    .m_axis_tdata ({tr_bank, tr_last, tr_user, tr_data}),
    .count_o      (tr_count)
  );

  sf_fifo #(
    .Width(DataWidth + 3),
    .Depth(8)
  ) u_tail_in (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(ti_valid),
    .s_axis_tready(ti_ready),
    .s_axis_tdata ({ti_bank, ti_last, ti_user, ti_data}),
    .m_axis_tvalid(m_tail_axis_tvalid),
    .m_axis_tready(m_tail_axis_tready),
    .m_axis_tdata ({m_tail_axis_tbank, m_tail_axis_tlast, m_tail_axis_tuser, m_tail_axis_tdata}),
    .count_o      (ti_count)
  );

  // ------------------------------------------------------------------ feedback buffer
  logic                 fb_in_valid, fb_in_ready;
  logic                 fb_out_valid, fb_out_ready;
  logic [DataWidth:0]   fb_out_data;  // {tbank, tdata}

  // ------------------------------------------------------------------ mux
  logic                 mux_from_buf_q;          // source of the current tail frame
  logic [PixW-1:0]      mux_pix_q;               // pixels of the current tail frame so far
  logic [ColW-1:0]      mux_col_q;               // column of the next pixel
  logic [RepW-1:0]      mux_pass_q, mux_reps_q;  // pass (1-based) and R of the current frame
  // Position flags of the next pixel, kept in flops beside the counters (timing: the
  // pops of both sources hang on them): first of a frame, last of a frame, last of a row.
  logic                 mux_first_q, mux_last_q, mux_eol_q;
  logic                 mux_valid, mux_fire;
  logic                 mux_bank;
  logic [DataWidth-1:0] mux_data;
  logic [RepW-1:0]      front_reps, reps0_q, reps1_q;
  logic                 reps_push, reps_ready, reps_valid, reps_pop;
  logic [RepW-1:0]      reps_head;
  logic [3:0]           reps_count;

  // R of each bank, clamped, from flops: a setting changes only while no frame of its
  // bank is in flight (the commit protocol), long before the next frame's first pixel.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      reps0_q <= RepW'(1);
      reps1_q <= RepW'(1);
    end else begin
      reps0_q <= clamp_repeats(repeats0_i);
      reps1_q <= clamp_repeats(repeats1_i);
    end
  end

  assign mux_valid    = mux_from_buf_q ? fb_out_valid : fr_valid;
  assign mux_data     = mux_from_buf_q ? fb_out_data[DataWidth-1:0] : fr_data;
  assign mux_bank     = mux_from_buf_q ? fb_out_data[DataWidth] : fr_bank;
  assign front_reps   = fr_bank ? reps1_q : reps0_q;
  // The first pixel of a pass-1 frame also pushes its R into the FIFO to the demux.
  assign reps_push    = !mux_from_buf_q && mux_first_q;
  assign mux_fire     = mux_valid && mux_go_q;

  assign ti_valid           = mux_fire;
  assign ti_data            = mux_data;
  assign ti_bank            = mux_bank;
  assign ti_user            = mux_first_q;
  assign ti_last            = mux_eol_q;
  assign fr_ready           = !mux_from_buf_q && mux_go_q;
  assign fb_out_ready       = mux_from_buf_q && mux_go_q;

  // The mux's ready is a flop too, like the demux's (dmx_go_q): the tail's input slice
  // and the R FIFO (both 8 deep) held at most SliceRoom items in the previous clock's
  // count.  So the pops of the front slice and of the feedback buffer (its stage enables
  // and EBR read enables, across the chip) are one LUT after flops.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mux_go_q <= 1'b0;
    end else begin
      mux_go_q <= (ti_count <= SliceRoom) && (reps_count <= SliceRoom);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mux_from_buf_q <= 1'b0;
      mux_pix_q      <= '0;
      mux_col_q      <= '0;
      mux_first_q    <= 1'b1;
      mux_last_q     <= (Pixels == 1);
      mux_eol_q      <= (Width == 1);
      mux_pass_q     <= RepW'(1);
      mux_reps_q     <= RepW'(1);
    end else if (mux_fire) begin
      mux_col_q   <= ti_last ? '0 : mux_col_q + ColW'(1);
      mux_eol_q   <= ti_last ? (Width == 1) : (mux_col_q == ColW'(Width - 2));
      mux_first_q <= mux_last_q;
      mux_last_q  <= mux_last_q ? (Pixels == 1) : (mux_pix_q == PixW'(Pixels - 2));
      if (reps_push) mux_reps_q <= front_reps;
      if (mux_last_q) begin
        mux_pix_q <= '0;
        if ((reps_push ? front_reps : mux_reps_q) > mux_pass_q) begin
          mux_pass_q     <= mux_pass_q + RepW'(1);
          mux_from_buf_q <= 1'b1;
        end else begin
          mux_pass_q     <= RepW'(1);
          mux_from_buf_q <= 1'b0;
        end
      end else begin
        mux_pix_q <= mux_pix_q + PixW'(1);
      end
    end
  end

  // R of every frame, from the mux to the demux.
  logic [$clog2(BufDepth+1)-1:0] fb_count;

  sf_fifo #(
    .Width(RepW),
    .Depth(8)
  ) u_reps (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(reps_push && mux_fire),
    .s_axis_tready(reps_ready),
    .s_axis_tdata (front_reps),
    .m_axis_tvalid(reps_valid),
    .m_axis_tready(reps_pop),
    .m_axis_tdata (reps_head),
    .count_o      (reps_count)
  );

  // ------------------------------------------------------------------ demux
  logic [PixW-1:0]      dmx_pix_q;
  logic [ColW-1:0]      dmx_col_q;
  logic [RepW-1:0]      dmx_pass_q, dmx_reps_q;
  // Flags of the next pixel as in the mux, plus dmx_new_q: first pixel of pass 1.
  logic                 dmx_first_q, dmx_last_q, dmx_eol_q, dmx_new_q;
  logic                 dmx_fire, reps_stays;
  logic [RepW-1:0]      dmx_pass_d, dmx_reps_d;
  // dmx_to_out_q: the next pixel goes to m_axis (its pass is the frame's last), a flop
  // computed a clock ahead, so the split of the tail's output between the two slices is
  // one LUT after flops (a reference build had the pass compare behind dmx_new_q in front
  // of the output slice's count: 10.84 ns).
  logic                 dmx_to_out_q, dmx_to_out_d;

  // The output frame leaves through its own slice (ot_*), like the feedback buffer's.
  logic                 ot_valid, ot_ready;
  logic [3:0]           ot_count, fs_count;
  // The demux's ready is one flop (dmx_go_q), so the tail's output slice has its enables
  // one LUT after flops (timing: with the ready a LUT chain of both destinations' room and
  // the pass compare, a reference build had 40 late endpoints there, 8.9 ns of route).
  // It is conservative: both destination slices (8 deep) held at most SliceRoom items
  // in the previous clock's count; and at the first pixel of pass 1, R was at the head
  // of its FIFO a clock ago and not popped, so it still is (and dmx_to_out_q, computed
  // from it a clock ago, holds).
  logic                 dmx_go_q, dmx_go_d, dmx_new_d;

  assign reps_pop      = dmx_fire && dmx_new_q;
  assign reps_stays    = reps_valid && !reps_pop;   // R at the FIFO head next clock

  assign tr_ready      = dmx_go_q;
  assign dmx_fire      = tr_valid && dmx_go_q;
  assign ot_valid      = dmx_fire && dmx_to_out_q;
  assign fb_in_valid   = dmx_fire && !dmx_to_out_q;
  assign dmx_new_d     = dmx_fire ? dmx_last_q && dmx_to_out_q : dmx_new_q;
  assign dmx_go_d      = (ot_count <= SliceRoom) && (fs_count <= SliceRoom) &&
                         (!dmx_new_d || reps_stays);
  assign dmx_reps_d    = reps_pop ? reps_head : dmx_reps_q;
  assign dmx_pass_d    = !(dmx_fire && dmx_last_q) ? dmx_pass_q :
                         dmx_to_out_q ? RepW'(1) : dmx_pass_q + RepW'(1);
  assign dmx_to_out_d  = dmx_pass_d >= (dmx_new_d ? reps_head : dmx_reps_d);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      dmx_go_q     <= 1'b0;
      dmx_new_q    <= 1'b1;
      dmx_to_out_q <= 1'b0;
      dmx_pass_q   <= RepW'(1);
      dmx_reps_q   <= RepW'(1);
    end else begin
      dmx_go_q     <= dmx_go_d;
      dmx_new_q    <= dmx_new_d;
      dmx_to_out_q <= dmx_to_out_d;
      dmx_pass_q   <= dmx_pass_d;
      dmx_reps_q   <= dmx_reps_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      dmx_pix_q   <= '0;
      dmx_col_q   <= '0;
      dmx_first_q <= 1'b1;
      dmx_last_q  <= (Pixels == 1);
      dmx_eol_q   <= (Width == 1);
    end else if (dmx_fire) begin
      dmx_col_q   <= dmx_eol_q ? '0 : dmx_col_q + ColW'(1);
      dmx_eol_q   <= dmx_eol_q ? (Width == 1) : (dmx_col_q == ColW'(Width - 2));
      dmx_first_q <= dmx_last_q;
      dmx_last_q  <= dmx_last_q ? (Pixels == 1) : (dmx_pix_q == PixW'(Pixels - 2));
      if (dmx_last_q) begin
        dmx_pix_q  <= '0;
      end else begin
        dmx_pix_q <= dmx_pix_q + PixW'(1);
      end
    end
  end

  sf_fifo #(
    .Width(DataWidth + 3),
    .Depth(8)
  ) u_out (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(ot_valid),
    .s_axis_tready(ot_ready),
    .s_axis_tdata ({tr_bank, dmx_eol_q, dmx_first_q, tr_data}),
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata ({m_axis_tbank, m_axis_tlast, m_axis_tuser, m_axis_tdata}),
    .count_o      (ot_count)
  );

  // Feedback buffer, behind its input slice (fs_*).
  logic                 fs_valid, fs_ready;
  logic [DataWidth:0]   fs_data;      // {tbank, tdata}

  sf_fifo #(
    .Width(DataWidth + 1),
    .Depth(8)
  ) u_feedback_in (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(fb_in_valid),
    .s_axis_tready(fb_in_ready),
    .s_axis_tdata ({tr_bank, tr_data}),
    .m_axis_tvalid(fs_valid),
    .m_axis_tready(fs_ready),
    .m_axis_tdata (fs_data),
    .count_o      (fs_count)
  );

  sf_fifo #(
    .Width(DataWidth + 1),
    .Depth(BufDepth)
  ) u_feedback (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(fs_valid),
    .s_axis_tready(fs_ready),
    .s_axis_tdata (fs_data),
    .m_axis_tvalid(fb_out_valid),
    .m_axis_tready(fb_out_ready),
    .m_axis_tdata (fb_out_data),
    .count_o      (fb_count)
  );

  // FIFO fill levels are not needed here.
  logic unused_counts;
  assign unused_counts = ^{fb_count, fr_count, tr_count};

  // ------------------------------------------------------------------ marker checks
  logic err_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      err_q <= 1'b0;
    end else begin
      if (mux_fire && !mux_from_buf_q &&
          (fr_user != mux_first_q || fr_last != ti_last)) err_q <= 1'b1;
      if (dmx_fire && (tr_user != dmx_first_q || tr_last != dmx_eol_q)) begin
        err_q <= 1'b1;
      end
      // A slice the conservative readies let overflow (cannot happen: mux_go_q, dmx_go_q).
      if ((ot_valid && !ot_ready) || (fb_in_valid && !fb_in_ready) || (ti_valid && !ti_ready) ||
          (reps_push && mux_fire && !reps_ready)) err_q <= 1'b1;
    end
  end
  assign frame_err_o = err_q;

endmodule
