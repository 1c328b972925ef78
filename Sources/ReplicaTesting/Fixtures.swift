import Replica
