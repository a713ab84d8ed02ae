${header}
// Frozen core: ${len(stages)} frozen convolution blocks in a chain.  Pixel stream in
// (the image), pixel stream out (the last block's feature map).  See docs/arithmetic.md.
module ${top} (
  input  logic                              clk_i,
  input  logic                              rst_ni,

  input  logic                              s_axis_tvalid,
  output logic                              s_axis_tready,
  input  logic [${stages[0].in_width}-1:0]  s_axis_tdata,
  input  logic                              s_axis_tuser,
  input  logic                              s_axis_tlast,

  output logic                              m_axis_tvalid,
  input  logic                              m_axis_tready,
  output logic [${stages[-1].out_width}-1:0] m_axis_tdata,
  output logic                              m_axis_tuser,
  output logic                              m_axis_tlast,

  output logic                              frame_err_o
);

% for st in stages:
  logic                            b${st.index}_tvalid, b${st.index}_tready, b${st.index}_tuser, b${st.index}_tlast;
  logic [${st.out_width}-1:0]      b${st.index}_tdata;
  logic                            b${st.index}_err;
% endfor

% for st in stages:
<%
    src = "s_axis" if st.index == 0 else f"b{st.index - 1}"
    ready = "s_axis_tready" if st.index == 0 else f"b{st.index - 1}_tready"
%>\
  ${st.module} u_b${st.index} (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(${src}_tvalid),
    .s_axis_tready(${ready}),
    .s_axis_tdata (${src}_tdata),
    .s_axis_tuser (${src}_tuser),
    .s_axis_tlast (${src}_tlast),
    .m_axis_tvalid(b${st.index}_tvalid),
    .m_axis_tready(b${st.index}_tready),
    .m_axis_tdata (b${st.index}_tdata),
    .m_axis_tuser (b${st.index}_tuser),
    .m_axis_tlast (b${st.index}_tlast),
    .frame_err_o  (b${st.index}_err)
  );

% endfor
<% last = f"b{stages[-1].index}" %>\
  assign m_axis_tvalid = ${last}_tvalid;
  assign ${last}_tready = m_axis_tready;
  assign m_axis_tdata  = ${last}_tdata;
  assign m_axis_tuser  = ${last}_tuser;
  assign m_axis_tlast  = ${last}_tlast;
  assign frame_err_o   = ${" | ".join(f"b{st.index}_err" for st in stages)};

endmodule
