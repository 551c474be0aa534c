# The shipped recipe trained on the Bandai benchmark's train split (Bandai
# Namco Research Motion Dataset 2, its own skeleton, h36m-like rig; 3D
# only): the converse of the cross-dataset test, scored on the open
# benchmark's CMU test groups (tools/analysis/prior_generalisation.py
# --converse). Bandai is CC BY-NC 4.0: what this config trains is for
# benchmarks and never ships. Build the data first:
# python tools/dataset_converters/build_bandai_benchmark.py
_base_ = ['./prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py']

prior_data = dict(
    licence='CC BY-NC 4.0 (non-commercial use only; attribution required)',
    sources=[
        'Bandai Namco Research Motion Dataset 2 (Bandai Namco Research '
        'Inc., github.com/BandaiNamcoResearchInc/'
        'Bandai-Namco-Research-Motiondataset), CC BY-NC 4.0'
    ])
data_root = 'data/bandai_h36m/h36m-like/'
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            ann_file='annotation_body3d/fps5/bandai_train.npz')))
val_dataloader = dict(
    dataset=dict(
        # 2,000 poses spread over the 17,904 test samples.
        num=2000,
        dataset=dict(
            data_root=data_root,
            ann_file='annotation_body3d/fps5/bandai_test.npz')))
test_dataloader = val_dataloader
