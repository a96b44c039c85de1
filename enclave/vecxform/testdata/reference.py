# Independent reference implementation of the vecxform spec (doc.go), used to
# write testdata/golden.json.
import hmac,hashlib,json,math,struct
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
def hkdf(ikm,info,L=32):
    prk=hmac.new(b"\x00"*32,ikm,hashlib.sha256).digest()
    t=b"";o=b"";c=1
    while len(o)<L:
        t=hmac.new(prk,t+info+bytes([c]),hashlib.sha256).digest();o+=t;c+=1
    return o[:L]
class KS:
    def __init__(s,key,dim):
        seed=hkdf(key,("confidant/vecxform/v1 dim=%d"%dim).encode())
        s.enc=Cipher(algorithms.AES(seed),modes.CTR(b"\x00"*16)).encryptor()
    def u64(s): return struct.unpack(">Q",s.enc.update(b"\x00"*8))[0]
    def below(s,n):
        r=(2**64)%n
        while True:
            v=s.u64()
            if v<=2**64-1-r: return v%n
    def perm(s,n):
        p=list(range(n))
        for i in range(n-1,0,-1):
            j=s.below(i+1); p[i],p[j]=p[j],p[i]
        return p
    def signs(s,n):
        out=[];bits=0
        for i in range(n):
            if i%64==0: bits=s.u64()
            out.append(-1.0 if bits&1 else 1.0); bits>>=1
        return out
def blocks(dim):
    out=[];off=0
    for b in range(dim.bit_length()-1,-1,-1):
        if dim&(1<<b): out.append((off,1<<b)); off+=1<<b
    return out
def wht(x,off,n):
    h=1
    while h<n:
        for i in range(off,off+n,2*h):
            for j in range(i,i+h):
                a,b=x[j],x[j+h]; x[j],x[j+h]=a+b,a-b
        h*=2
    if n>1:
        sc=1/math.sqrt(n)
        for i in range(off,off+n): x[i]*=sc
def apply(key,dim,src,rounds=3):
    ks=KS(key,dim)
    st=[(ks.perm(dim),ks.signs(dim)) for _ in range(rounds+1)]
    x=[float(v) for v in src]
    for r in range(rounds):
        p,s=st[r]; x=[s[i]*x[p[i]] for i in range(dim)]
        for off,n in blocks(dim): wht(x,off,n)
    p,s=st[rounds]; x=[s[i]*x[p[i]] for i in range(dim)]
    return [struct.unpack("f",struct.pack("f",v))[0] for v in x]
key=bytes(range(32))
def src(dim): return [((i*7919)%1000-500)/256 for i in range(dim)]
cases=[{"dim":d,"output":apply(key,d,src(d))} for d in (1,2,3,8,13,384)]
json.dump({"comment":"Transform of src[i] = ((i*7919) mod 1000 - 500)/256 under key 00..1f, computed by an independent Python implementation of the spec in doc.go. A change here means stored vectors no longer compare with new ones.","key":key.hex(),"cases":cases},open("golden.json","w"))
