// SemifreddoNets-HW: AXI4-Lite stream bridge.  A host (the UART bridge sf_hostlink, or a
// CPU) pushes image pixels into a pixel stream and pops results from NumOut result
// streams, one 32-bit bus word per pixel / result item.
//
//   s_axil_* write IN_DATA  -> input FIFO (InDepth)  -> m_axis_* (tuser/tlast generated)
//   s_axis_*[k]             -> output FIFO k (OutDepth) -> s_axil_* read OUT_DATA[k]
//
// Address map (byte offsets, 32-bit words; docs/host-protocol.md "Stream bridge"):
//
//   0x0000 ID        ro  0x5346_5342 (ASCII "SFSB")
//   0x0004 GEOMETRY  ro  [15:0] Width, [31:16] Height
//   0x0008 FORMAT    ro  [7:0] Channels*Bits (input pixel bits), [15:8] OutWidth,
//                        [23:16] NumOut, [31:24] Channels
//   0x000C STATUS    ro  [15:0] input FIFO free space (pixels that can be written now),
//                        [16+k] output FIFO k has an item to pop (k < NumOut)
//   0x0010+4k LEVEL[k] ro [15:0] items in output FIFO k, [16] tuser and [17] tlast of
//                        its head item (0 when none is poppable)
//   0x1000..0x13FC IN_DATA window (256 words): a write to ANY word pushes one pixel, the
//                        low Channels*Bits bits of WDATA (channel c at [c*Bits +: Bits]);
//                        higher bits are ignored.  A window, not one address, so that a
//                        burst (address +4 per word) pushes a run of pixels.
//   0x2000+0x800k+0x000..0x3FC OUT_DATA[k] window: a read of any word pops one item of
//                        output FIFO k and returns its tdata (zero-extended).
//   0x2000+0x800k+0x400..0x7FC OUT_TAGGED[k] window: the same pop, returning
//                        {tuser, tlast, 30'(tdata)} (full tdata only if OutWidth <= 30).
//
// Bus responses: OKAY for the accesses above.  SLVERR, with nothing changed (no push,
// no pop, read data 0), for: a write to IN_DATA while the input FIFO is full; a write
// with WSTRB != 4'hF; a read of OUT_DATA/OUT_TAGGED while output FIFO k is empty; a
// write anywhere else; a read of an unmapped word (including IN_DATA, LEVEL[k] or the
// windows of k >= NumOut, and addresses at or above 0x4000).  The two low address bits
// are ignored.  AWPROT/ARPROT are ignored.
//
// m_axis: tuser on the first pixel of every frame, tlast on the last pixel of every
// row, from the bridge's own Width x Height counters (advanced per m_axis transfer):
// the host must send whole frames.  s_axis: tuser/tlast are stored with tdata.
//
// Timing: one write and one read can be in flight at once (independent channels);
// AW/W/AR are captured into holding registers (ready = register empty), each access is
// decided in the cycle after both its address (and data) are held and its response
// register is empty (not "emptied in this cycle": the master's bready/rready never
// reach the FIFOs' push and pop, a path across the chip from the host link); B/R come
// from registers.  Sustained rate: one write per 2 clocks, one read per 2 clocks (the
// next address is captured in the clock the response is taken).  An item pushed on
// s_axis becomes poppable (STATUS bit set) 3 clocks later, 5 with OutDepth >= 128
// (sf_fifo fall-through); LEVEL counts it from the next clock.
//
// Reset: rst_ni active-low asynchronous.  FIFO contents are lost on reset.
module sf_axil_stream #(
  parameter int unsigned Width     = 128,  // input frame width in pixels
  parameter int unsigned Height    = 128,  // input frame height in pixels
  parameter int unsigned Channels  = 3,    // input channels per pixel
  parameter int unsigned Bits      = 8,    // bits per input channel
  parameter int unsigned NumOut    = 2,    // result streams, 1..4
  parameter int unsigned OutWidth  = 32,   // tdata bits of every result stream, 1..32
  parameter int unsigned InDepth   = 512,  // input FIFO, pixels (power of 2, 4..32768)
  parameter int unsigned OutDepth  = 512,  // each output FIFO, items (power of 2, 4..32768)
  parameter int unsigned AddrWidth = 14,   // >= 14; bits above 13 must be 0 (else SLVERR)
  localparam int unsigned InWidth  = Channels * Bits
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,

  // AXI4-Lite slave
  input  logic                         s_axil_awvalid,
  output logic                         s_axil_awready,
  input  logic [AddrWidth-1:0]         s_axil_awaddr,
  input  logic [2:0]                   s_axil_awprot,
  input  logic                         s_axil_wvalid,
  output logic                         s_axil_wready,
  input  logic [31:0]                  s_axil_wdata,
  input  logic [3:0]                   s_axil_wstrb,
  output logic                         s_axil_bvalid,
  input  logic                         s_axil_bready,
  output logic [1:0]                   s_axil_bresp,
  input  logic                         s_axil_arvalid,
  output logic                         s_axil_arready,
  input  logic [AddrWidth-1:0]         s_axil_araddr,
  input  logic [2:0]                   s_axil_arprot,
  output logic                         s_axil_rvalid,
  input  logic                         s_axil_rready,
  output logic [31:0]                  s_axil_rdata,
  output logic [1:0]                   s_axil_rresp,

  // pixel stream to the network
  output logic                         m_axis_tvalid,
  input  logic                         m_axis_tready,
  output logic [InWidth-1:0]           m_axis_tdata,
  output logic                         m_axis_tuser,
  output logic                         m_axis_tlast,

  // result streams: stream k is bit k / slice [k*OutWidth +: OutWidth]
  input  logic [NumOut-1:0]            s_axis_tvalid,
  output logic [NumOut-1:0]            s_axis_tready,
  input  logic [NumOut*OutWidth-1:0]   s_axis_tdata,
  input  logic [NumOut-1:0]            s_axis_tuser,
  input  logic [NumOut-1:0]            s_axis_tlast
);

  if (InWidth < 1 || InWidth > 32) begin : gen_bad_in_width
    $fatal(1, "sf_axil_stream: Channels*Bits must be 1..32, got %0d", InWidth);
  end
  if (NumOut < 1 || NumOut > 4) begin : gen_bad_num_out
    $fatal(1, "sf_axil_stream: NumOut must be 1..4, got %0d", NumOut);
  end
  if (OutWidth < 1 || OutWidth > 32) begin : gen_bad_out_width
    $fatal(1, "sf_axil_stream: OutWidth must be 1..32, got %0d", OutWidth);
  end
  if (Width < 1 || Width > 65535 || Height < 1 || Height > 65535) begin : gen_bad_frame
    $fatal(1, "sf_axil_stream: Width and Height must be 1..65535");
  end
  if (InDepth < 4 || InDepth > 32768 || (InDepth & (InDepth - 1)) != 0) begin : gen_bad_in_depth
    $fatal(1, "sf_axil_stream: InDepth must be a power of 2 in 4..32768, got %0d", InDepth);
  end
  if (OutDepth < 4 || OutDepth > 32768 || (OutDepth & (OutDepth - 1)) != 0) begin : gen_bad_out_depth
    $fatal(1, "sf_axil_stream: OutDepth must be a power of 2 in 4..32768, got %0d", OutDepth);
  end
  if (AddrWidth < 14 || AddrWidth > 32) begin : gen_bad_addr_width
    $fatal(1, "sf_axil_stream: AddrWidth must be 14..32, got %0d", AddrWidth);
  end

  localparam logic [1:0]  RespOkay   = 2'b00;
  localparam logic [1:0]  RespSlverr = 2'b10;
  localparam logic [31:0] IdValue    = 32'h5346_5342;
  localparam int unsigned InCntW     = $clog2(InDepth + 1);
  localparam int unsigned OutCntW    = $clog2(OutDepth + 1);
  localparam int unsigned OutItemW   = OutWidth + 2;   // {tuser, tlast, tdata}
  localparam int unsigned XW         = (Width > 1) ? $clog2(Width) : 1;
  localparam int unsigned YW         = (Height > 1) ? $clog2(Height) : 1;

  // ---------------------------------------------------------------------------------
  // Input FIFO and frame counters
  // ---------------------------------------------------------------------------------
  logic                 aw_full_q, w_full_q, bvalid_q;
  logic [AddrWidth-1:0] s_axil_awaddr_q;
  logic [31:0]          s_axil_wdata_q;
  logic [3:0]           s_axil_wstrb_q;
  logic [1:0]           bresp_q;
  logic                 wr_do, wr_in_window, wr_ok;
  logic               in_push, in_ready;
  logic [InCntW-1:0]  in_count;

  sf_fifo #(.Width(InWidth), .Depth(InDepth)) u_in_fifo (
    .clk_i, .rst_ni,
    .s_axis_tvalid(in_push),
    .s_axis_tready(in_ready),
    .s_axis_tdata (s_axil_wdata_q[InWidth-1:0]),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tdata (m_axis_tdata),
    .count_o      (in_count)
  );

  logic [XW-1:0] x_q;
  logic [YW-1:0] y_q;
  logic          x_wrap, y_wrap;

  assign x_wrap = (x_q == XW'(Width - 1));
  assign y_wrap = (y_q == YW'(Height - 1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q <= '0;
      y_q <= '0;
    end else if (m_axis_tvalid && m_axis_tready) begin
      x_q <= x_wrap ? '0 : x_q + 1'b1;
      if (x_wrap) begin
        y_q <= y_wrap ? '0 : y_q + 1'b1;
      end
    end
  end

  assign m_axis_tuser = (x_q == '0) && (y_q == '0);
  assign m_axis_tlast = x_wrap;

  // ---------------------------------------------------------------------------------
  // Output FIFOs
  // ---------------------------------------------------------------------------------
  logic [NumOut-1:0]              out_valid, out_pop;
  logic [NumOut*OutItemW-1:0]     out_item;
  logic [NumOut*OutCntW-1:0]      out_count;

  for (genvar k = 0; k < NumOut; k++) begin : gen_out
    sf_fifo #(.Width(OutItemW), .Depth(OutDepth)) u_out_fifo (
      .clk_i, .rst_ni,
      .s_axis_tvalid(s_axis_tvalid[k]),
      .s_axis_tready(s_axis_tready[k]),
      .s_axis_tdata ({s_axis_tuser[k], s_axis_tlast[k], s_axis_tdata[k*OutWidth +: OutWidth]}),
      .m_axis_tvalid(out_valid[k]),
      .m_axis_tready(out_pop[k]),
      .m_axis_tdata (out_item[k*OutItemW +: OutItemW]),
      .count_o      (out_count[k*OutCntW +: OutCntW])
    );
  end

  // ---------------------------------------------------------------------------------
  // Write channel: AW and W holding registers, decide, B register
  // ---------------------------------------------------------------------------------

  assign s_axil_awready = ~aw_full_q;
  assign s_axil_wready  = ~w_full_q;
  assign wr_do          = aw_full_q && w_full_q && !bvalid_q;
  assign wr_in_window   = (s_axil_awaddr_q[AddrWidth-1:10] == (AddrWidth - 10)'(4));  // 0x1000..0x13FF
  assign wr_ok          = wr_in_window && (s_axil_wstrb_q == 4'hF) && in_ready;
  assign in_push        = wr_do && wr_ok;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_full_q <= 1'b0;
      w_full_q  <= 1'b0;
      bvalid_q  <= 1'b0;
      bresp_q   <= RespOkay;
    end else begin
      if (wr_do) begin
        aw_full_q <= 1'b0;
        w_full_q  <= 1'b0;
        bvalid_q  <= 1'b1;
        bresp_q   <= wr_ok ? RespOkay : RespSlverr;
      end else begin
        if (s_axil_awvalid && !aw_full_q) aw_full_q <= 1'b1;
        if (s_axil_wvalid && !w_full_q)   w_full_q  <= 1'b1;
        if (bvalid_q && s_axil_bready)    bvalid_q  <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (s_axil_awvalid && !aw_full_q) s_axil_awaddr_q <= s_axil_awaddr;
    if (s_axil_wvalid && !w_full_q) begin
      s_axil_wdata_q <= s_axil_wdata;
      s_axil_wstrb_q <= s_axil_wstrb;
    end
  end

  assign s_axil_bvalid = bvalid_q;
  assign s_axil_bresp  = bresp_q;

  // ---------------------------------------------------------------------------------
  // Read channel: AR holding register, decide (pop), R register
  // ---------------------------------------------------------------------------------
  logic                 ar_full_q, rvalid_q;
  logic [AddrWidth-1:0] s_axil_araddr_q;
  logic [31:0]          rdata_q, rd_word;
  logic [1:0]           rresp_q;
  logic                 rd_do, rd_ok, rd_low, rd_out;
  logic [1:0]           rd_k;
  logic [2:0]           rd_reg;        // word index in 0x0000..0x001F
  logic [NumOut-1:0]    out_nonempty;

  assign s_axil_arready = ~ar_full_q;
  assign rd_do  = ar_full_q && !rvalid_q;
  // 0x0000..0x003F: registers; 0x2000..0x3FFF: output windows (k = addr[12:11]).
  // The wide range compares are made when the address is captured (timing: the pop
  // decode then starts from flops).
  logic rd_low_q, rd_out_q;
  assign rd_low = rd_low_q;
  assign rd_out = rd_out_q;
  assign rd_k   = s_axil_araddr_q[12:11];
  assign rd_reg = s_axil_araddr_q[4:2];
  assign out_nonempty = out_valid;

  always_comb begin
    rd_ok   = 1'b0;
    rd_word = '0;
    out_pop = '0;
    if (rd_low && !s_axil_araddr_q[5]) begin
      rd_ok = 1'b1;
      unique case (rd_reg)
        3'd0: rd_word = IdValue;
        3'd1: rd_word = {16'(Height), 16'(Width)};
        3'd2: rd_word = {8'(Channels), 8'(NumOut), 8'(OutWidth), 8'(InWidth)};
        3'd3: rd_word = {12'h000, 4'(out_nonempty), 16'(InDepth) - 16'(in_count)};
        default: begin   // LEVEL[rd_reg - 4]
          rd_ok = 1'b0;
          for (int k = 0; k < NumOut; k++) begin
            if (32'(rd_reg) == 32'(k) + 32'd4) begin
              rd_ok   = 1'b1;
              rd_word = {14'h0000,
                         out_valid[k] & out_item[k*OutItemW + OutWidth + 0],
                         out_valid[k] & out_item[k*OutItemW + OutWidth + 1],
                         16'(out_count[k*OutCntW +: OutCntW])};
            end
          end
        end
      endcase
    end else if (rd_out) begin
      for (int k = 0; k < NumOut; k++) begin
        if (32'(rd_k) == 32'(k) && out_valid[k]) begin
          rd_ok      = 1'b1;
          out_pop[k] = rd_do;
          if (s_axil_araddr_q[10]) begin   // OUT_TAGGED: {tuser, tlast, tdata[29:0]}
            rd_word = {out_item[k*OutItemW + OutWidth + 1], out_item[k*OutItemW + OutWidth],
                       30'(out_item[k*OutItemW +: OutWidth])};
          end else begin
            rd_word = 32'(out_item[k*OutItemW +: OutWidth]);
          end
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_full_q <= 1'b0;
      rvalid_q  <= 1'b0;
      rresp_q   <= RespOkay;
      rdata_q   <= '0;
    end else begin
      if (rd_do) begin
        ar_full_q <= 1'b0;
        rvalid_q  <= 1'b1;
        rresp_q   <= rd_ok ? RespOkay : RespSlverr;
        rdata_q   <= rd_ok ? rd_word : '0;
      end else begin
        if (s_axil_arvalid && !ar_full_q) ar_full_q <= 1'b1;
        if (rvalid_q && s_axil_rready)    rvalid_q  <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (s_axil_arvalid && !ar_full_q) begin
      s_axil_araddr_q <= s_axil_araddr;
      rd_low_q        <= (s_axil_araddr[AddrWidth-1:6] == '0);
      rd_out_q        <= (s_axil_araddr[AddrWidth-1:13] == (AddrWidth - 13)'(1));
    end
  end

  assign s_axil_rvalid = rvalid_q;
  assign s_axil_rresp  = rresp_q;
  assign s_axil_rdata  = rdata_q;

  // unused inputs / bits (protection, word-offset address bits, high write data bits)
  logic unused_bits;
  assign unused_bits = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr_q[9:0],
                         s_axil_araddr_q[1:0], s_axil_araddr_q[AddrWidth-1:13], s_axil_araddr_q[9:6],
                         s_axil_wdata_q};

endmodule
