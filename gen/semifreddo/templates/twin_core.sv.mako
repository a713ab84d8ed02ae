${header}\
// Configurable twin of the frozen core (make bench): every frozen block as sf_tconv with its
// weights and biases in sf_weight_mem (two banks), same throughput (one input pixel per
// clock).  Host bus: byte address {memory index (${region_bits} bits), offset (${offset_bits} bits)}.
// Memories:
% for m in memories:
//   ${m.index}: ${m.name}, ${m.depth} values of ${m.value_width} bits, ${m.lanes} lane(s)
% endfor
module ${top} (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              active_bank_i,

  input  logic                              host_req_i,
  input  logic                              host_req_is_wr_i,
  input  logic [${addr_bits}-1:0]           host_addr_i,
  input  logic [31:0]                       host_wr_data_i,
  input  logic [31:0]                       host_wr_biten_i,
  output logic                              host_rd_ack_o,
  output logic [31:0]                       host_rd_data_o,
  output logic                              host_wr_ack_o,

  input  logic                              s_axis_tvalid,
  output logic                              s_axis_tready,
  input  logic [${blocks[0].in_width}-1:0]  s_axis_tdata,
  input  logic                              s_axis_tuser,
  input  logic                              s_axis_tlast,
  input  logic                              s_axis_tbank,

  output logic                              m_axis_tvalid,
  input  logic                              m_axis_tready,
  output logic [${blocks[-1].out_width}-1:0] m_axis_tdata,
  output logic                              m_axis_tuser,
  output logic                              m_axis_tlast,
  output logic                              m_axis_tbank,

  output logic                              frame_err_o
);

  // ---------------------------------------------------------------- host bus decode
  logic [${len(memories)}-1:0]  mem_req, mem_rd_ack, mem_wr_ack;
  logic [31:0]                  mem_rd_data [${len(memories)}];
  logic [${region_bits}-1:0]    region;
  assign region = host_addr_i[${addr_bits}-1:${offset_bits}];

  always_comb begin
    host_rd_data_o = '0;
    for (int k = 0; k < ${len(memories)}; k++) begin
      mem_req[k] = host_req_i && (region == ${region_bits}'(k));
      if (mem_rd_ack[k]) host_rd_data_o = host_rd_data_o | mem_rd_data[k];
    end
  end
  assign host_rd_ack_o = |mem_rd_ack;
  assign host_wr_ack_o = |mem_wr_ack;

% for b in blocks:
  // ---------------------------------------------------------------- block ${b.index}
  // ${b.comment}
  logic                            b${b.index}_tvalid, b${b.index}_tready, b${b.index}_tuser, b${b.index}_tlast, b${b.index}_tbank;
  logic [${b.out_width}-1:0]       b${b.index}_tdata;
  logic                            b${b.index}_err;
  logic                            b${b.index}_w_en, b${b.index}_w_bank, b${b.index}_b_en, b${b.index}_b_bank;
  logic [${b.entry_width}-1:0]     b${b.index}_w_addr, b${b.index}_b_addr;
  logic [${b.wmem.lanes * b.wmem.value_width}-1:0] b${b.index}_w_data;
  logic [${b.bmem.lanes * b.bmem.value_width}-1:0] b${b.index}_b_data;
<%
    src = "s_axis" if b.index == 0 else f"b{b.index - 1}"
    ready = "s_axis_tready" if b.index == 0 else f"b{b.index - 1}_tready"
%>
  sf_tconv #(
% for i, (k, v) in enumerate(b.params):
    .${k}(${v})${"," if i < len(b.params) - 1 else ""}
% endfor
  ) u_b${b.index} (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(${src}_tvalid),
    .s_axis_tready(${ready}),
    .s_axis_tdata (${src}_tdata),
    .s_axis_tuser (${src}_tuser),
    .s_axis_tlast (${src}_tlast),
    .s_axis_tbank (${src}_tbank),
    .m_axis_tvalid(b${b.index}_tvalid),
    .m_axis_tready(b${b.index}_tready),
    .m_axis_tdata (b${b.index}_tdata),
    .m_axis_tuser (b${b.index}_tuser),
    .m_axis_tlast (b${b.index}_tlast),
    .m_axis_tbank (b${b.index}_tbank),
    .frame_err_o  (b${b.index}_err),
    .w_rd_en_o    (b${b.index}_w_en),
    .w_rd_bank_o  (b${b.index}_w_bank),
    .w_rd_addr_o  (b${b.index}_w_addr),
    .w_rd_data_i  (b${b.index}_w_data),
    .b_rd_en_o    (b${b.index}_b_en),
    .b_rd_bank_o  (b${b.index}_b_bank),
    .b_rd_addr_o  (b${b.index}_b_addr),
    .b_rd_data_i  (b${b.index}_b_data)
  );

% for m, p in ((b.wmem, "w"), (b.bmem, "b")):
  sf_weight_mem #(
    .Depth        (${m.depth}),
    .ValueWidth   (${m.value_width}),
    .HostAddrWidth(${offset_bits}),
    .Lanes        (${m.lanes}),
    .UseRdBank    (1'b1)
  ) u_${m.name} (
    .clk_i,
    .rst_ni,
    .active_bank_i,
    .host_req_i      (mem_req[${m.index}]),
    .host_req_is_wr_i,
    .host_addr_i     (host_addr_i[${offset_bits}-1:0]),
    .host_wr_data_i,
    .host_wr_biten_i,
    .host_rd_ack_o   (mem_rd_ack[${m.index}]),
    .host_rd_data_o  (mem_rd_data[${m.index}]),
    .host_wr_ack_o   (mem_wr_ack[${m.index}]),
    .rd_en_i         (b${b.index}_${p}_en),
    .rd_bank_i       (b${b.index}_${p}_bank),
    .rd_addr_i       (b${b.index}_${p}_addr),
    .rd_data_o       (b${b.index}_${p}_data)
  );

% endfor
% endfor
<% last = f"b{blocks[-1].index}" %>\
  assign m_axis_tvalid = ${last}_tvalid;
  assign ${last}_tready = m_axis_tready;
  assign m_axis_tdata  = ${last}_tdata;
  assign m_axis_tuser  = ${last}_tuser;
  assign m_axis_tlast  = ${last}_tlast;
  assign m_axis_tbank  = ${last}_tbank;
  assign frame_err_o   = ${" | ".join(f"b{b.index}_err" for b in blocks)};

endmodule
