# ZeDO on real Human3.6M with detected 2D (mmpose's CPN file), S=1.
_base_ = ['./zedo_S1_gt2d_h36m.py']

test_dataloader = dict(
    dataset=dict(
        keypoint_2d_src='detection',
        keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_test.npy'))
