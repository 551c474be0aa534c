# Detector-like 2D: the VideoPose3D trained on GT 2D (h36m-like rig), tested
# on the simulated detections of the same rig's test split.
_base_ = ['./videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py']

test_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file={{_base_.open_test_det}}))
