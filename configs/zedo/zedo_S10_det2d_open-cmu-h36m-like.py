# ZeDO on the open benchmark (h36m-like rig) with detector-like 2D, S=10.
_base_ = ['./zedo_S10_gt2d_open-cmu-h36m-like.py']

test_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file={{_base_.open_test_det}}))
