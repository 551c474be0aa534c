# VideoPose3D-1frm + ZeDO refinement on detector-like 2D (as
# ../videopose3d/videopose3d_tcn-1frm_open-cmu_test-det.py).
_base_ = ['./videopose3d_tcn-1frm_open-cmu_zedo-refine.py']

test_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file={{_base_.open_test_det}}))
