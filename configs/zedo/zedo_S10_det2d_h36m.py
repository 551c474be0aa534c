# ZeDO on real Human3.6M, det 2D, S=10 hypotheses (MinMPJPE is the
# oracle; MPJPE scores the lowest-energy hypothesis).
_base_ = ['./zedo_S1_det2d_h36m.py']

model = dict(
    head=dict(
        num_hypotheses=10))
