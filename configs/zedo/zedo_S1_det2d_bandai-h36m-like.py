# ZeDO cross-dataset (see zedo_S1_gt2d_bandai-h36m-like.py) with
# detector-like 2D, S=1.
_base_ = ['./zedo_S1_gt2d_bandai-h36m-like.py']

test_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/bandai_test.npy'))
