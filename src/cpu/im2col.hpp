#pragma once
// im2col / col2im for one image, Darknet's layout.
//   im:  [channels][height][width]
//   col: [channels * ksize * ksize][out_h * out_w]
// out_h = (height + 2*pad - ksize)/stride + 1, likewise out_w. Zero padding.
namespace dn {

void im2col(const float* im, int channels, int height, int width, int ksize, int stride, int pad, float* col);
// Accumulates col back into im (im += col2im(col)); the adjoint of im2col.
void col2im_add(const float* col, int channels, int height, int width, int ksize, int stride, int pad, float* im);

}  // namespace dn
