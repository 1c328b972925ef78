print("sinkron")
