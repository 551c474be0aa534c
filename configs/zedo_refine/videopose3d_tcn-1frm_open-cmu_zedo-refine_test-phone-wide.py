# VideoPose3D-1frm + ZeDO refinement, cross-rig test on the phone-wide rig (as
# ../videopose3d/videopose3d_tcn-1frm_open-cmu_test-phone-wide.py).
_base_ = ['./videopose3d_tcn-1frm_open-cmu_zedo-refine.py']

test_dataloader = dict(dataset=dict(data_root='data/open_h36m/phone-wide/'))
