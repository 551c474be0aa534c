# ZeDO on the open benchmark seen by the phone-wide rig (cross-rig: the prior
# and anchors come from the h36m-like train split), GT 2D, S=10.
_base_ = ['./zedo_S10_gt2d_open-cmu-h36m-like.py']

test_dataloader = dict(dataset=dict(data_root='data/open_h36m/phone-wide/'))
