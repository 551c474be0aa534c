# The shipped prior: the CPU recipe (prior_mlp-512x2_..._h36m.py) trained on
# the open benchmark's train split (bundled CMU-derived mocap, h36m-like
# rig; 3D only) instead of Human3.6M.
_base_ = ['./prior_mlp-512x2_subvp-t01_1xb512-30k_h36m.py',
          '../_base_/datasets/open_cmu_h36m_format.py']

prior_data = dict(
    licence='CMU Graphics Lab Motion Capture Database terms: free to use, '
    'may ship inside products, not to be resold as data',
    sources=[
        'CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu; '
        'created with funding from NSF EIA-0196217): the open benchmark\'s '
        'train groups of data/mocap/cmu_c2s.npz, cmu_acrnn.npz and '
        'cmu_iclone.npz'
    ])

data_root = 'data/open_h36m/h36m-like/'
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            ann_file={{_base_.open_train_ann}},
            camera_param_file={{_base_.open_cameras}})))
val_dataloader = dict(
    dataset=dict(
        # 2,125 poses spread over the 14,873 test samples.
        num=2125,
        dataset=dict(
            data_root=data_root,
            ann_file={{_base_.open_test_ann}},
            camera_param_file={{_base_.open_cameras}})))
test_dataloader = val_dataloader
