# ZeDO on real Human3.6M, gt 2D, S=50 hypotheses (MinMPJPE is the
# oracle; MPJPE scores the lowest-energy hypothesis).
_base_ = ['./zedo_S1_gt2d_h36m.py']

model = dict(
    head=dict(
        num_hypotheses=50))
